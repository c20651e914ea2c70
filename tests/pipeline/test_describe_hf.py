"""`semclust describe --backend hf` with a tiny random-weight LLaVA built in the test."""
from __future__ import annotations

import pytest

from semclust.pipeline.describe import describe_study, study_items
from semclust.pipeline.describers.hf import HFDescriber, run_halving
from support.image_study import records
from support.tiny_models import build_tiny_llava


@pytest.fixture(scope="module")
def tiny_llava(tmp_path_factory):
    return build_tiny_llava(tmp_path_factory.mktemp("models") / "tiny-llava")


def test_describe_hf_writes_a_text_and_token_counts_per_image(run_cli, tiny_llava, make_image_study):
    study = make_image_study(n=5)
    result = run_cli("describe", "--study", study.root, "--backend", "hf", "--model", tiny_llava,
                     "--device", "cpu", "--batch-size", "2", "--max-tokens", "4", "--id", "h")
    assert result.exit_code == 0, result.stderr
    recs = records(study, "h")
    assert sorted(r["image_id"] for r in recs) == sorted(study.read_images()["image_id"])
    for rec in recs:
        assert rec["error"] is None and rec["text"]
        assert 2 <= rec["tokens"]["completion"] <= 4 and rec["tokens"]["prompt"] > 16
        assert rec["params"] == {"max_new_tokens": 4, "do_sample": False}
        assert rec["model"] == str(tiny_llava)
    assert "done 5, failed 0" in result.stdout
    again = run_cli("describe", "--study", study.root, "--backend", "hf", "--model", tiny_llava,
                    "--device", "cpu", "--max-tokens", "4", "--id", "h")
    assert "done 0, failed 0, skipped 5" in again.stdout


def test_describe_hf_batched_answers_equal_one_at_a_time(tiny_llava, make_image_study):
    study = make_image_study(n=6)
    one = HFDescriber(model=str(tiny_llava), batch_size=1, device="cpu", max_new_tokens=5)
    many = HFDescriber(model=str(tiny_llava), batch_size=4, device="cpu", max_new_tokens=5)
    items = study_items(study)
    singly = {d.image_id: d.text for d in one.describe(items, "Describe the mood")}
    batched = {d.image_id: d.text for d in many.describe(items, "Describe the mood")}
    assert singly == batched and len(batched) == 6


def test_describe_hf_unreadable_image_is_recorded_and_others_described(tiny_llava, make_image_study):
    study = make_image_study(n=4)
    images = study.read_images()
    study.image_path(images["path"][1]).write_bytes(b"\x89PNG truncated")
    describer = HFDescriber(model=str(tiny_llava), batch_size=4, device="cpu", max_new_tokens=3)
    summary = describe_study(study, describer, describer_id="h", progress=False)
    assert (summary.done, summary.failed) == (3, 1)
    bad = [r for r in records(study, "h") if r["error"]]
    assert bad[0]["image_id"] == images["image_id"][1] and "cannot read image" in bad[0]["error"]


def test_describe_hf_unknown_model_is_user_error(run_cli, tmp_path, make_image_study):
    study = make_image_study(n=1)
    result = run_cli("describe", "--study", study.root, "--backend", "hf",
                     "--model", tmp_path / "no-such-model", "--device", "cpu")
    assert result.exit_code == 2 and "cannot load hf model" in result.stderr


def test_run_halving_halves_batch_size_on_out_of_memory_until_it_fits():
    import torch

    sizes = []

    def run(batch):
        sizes.append(len(batch))
        if len(batch) > 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return [x * 10 for x in batch]

    state = {"batch_size": 16}
    out = list(run_halving(list(range(10)), run, state))
    assert [y for _, ys in out for y in ys] == [x * 10 for x in range(10)]
    assert state["batch_size"] == 2 and state["oom_events"] == 2
    assert sizes[:4] == [10, 5, 2, 2]  # 10 items: 16 -> (10 fail) 5 fail -> 2 fits, then stays 2


def test_run_halving_reports_other_errors_and_oom_at_batch_size_one():
    import torch

    def run(batch):
        if batch == [3]:
            raise torch.OutOfMemoryError("out of memory")
        if 5 in batch:
            raise ValueError("bad image tensor")
        return batch

    out = list(run_halving(list(range(6)), run, {"batch_size": 1}))
    errors = {tuple(sub): type(res).__name__ for sub, res in out if isinstance(res, Exception)}
    assert errors == {(3,): "OutOfMemoryError", (5,): "ValueError"}
    assert len(out) == 6
