"""`semclust classify text|clip|vlm`: zero-shot classification into the researcher's classes.

classify text runs the real offline all-MiniLM-L6-v2 on a study of 24 short
descriptions in 3 themes; classify vlm talks to the local chat server
(scripted answers); classify clip runs tiny random-weight CLIP and SigLIP
models built here.
"""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from semclust.pipeline.classes import (
    ClassSpec,
    class_texts,
    load_classes,
    match_answer,
    normalise,
    vlm_prompt,
)
from semclust.pipeline.classifiers import CLASSIFIERS
from semclust.pipeline.classifiers.vlm import describer_id
from semclust.study import IMAGE_COLUMNS, Study, UserError
from support.chat_server import ChatServer, answer_text

THEMES = {
    "pets": ["A dog sleeps curled up on the sofa next to its owner.",
             "A kitten plays with a ball of wool on the living room floor.",
             "A family walks their golden retriever in the park.",
             "A cat stares out of the window at birds in the garden.",
             "A puppy chews a toy while a child laughs.",
             "A parrot sits on the shoulder of an old man at home.",
             "Two cats share a basket by the warm fireplace.",
             "A woman brushes the fur of her fluffy white dog."],
    "cooking": ["A chef chops onions and garlic in a busy restaurant kitchen.",
                "A pot of tomato soup simmers on the stove.",
                "Fresh bread comes out of the oven, golden and steaming.",
                "A grandmother teaches her grandson to bake a cake.",
                "Vegetables are fried in a hot wok with soy sauce.",
                "A recipe book lies open beside bowls of flour and eggs.",
                "A cook stirs a large pan of pasta with basil.",
                "Pancakes are flipped in a frying pan at breakfast."],
    "football": ["A striker kicks the ball past the goalkeeper into the net.",
                 "Fans cheer in a packed stadium as their team scores.",
                 "Players in red shirts celebrate winning the league.",
                 "A referee shows a yellow card during the soccer match.",
                 "Children play football on a dusty pitch after school.",
                 "The coach shouts instructions from the touchline.",
                 "A defender slides to tackle the opposing forward.",
                 "The captain lifts the trophy after the cup final."],
}
CLASSES_YAML = """\
- name: pets
  definition: dogs, cats and other animals living with people
  aliases: [animals]
- name: cooking
  definition: preparing food in a kitchen
- name: football
  definition: soccer players, matches and fans
"""


def write_classes(tmp_path, text: str = CLASSES_YAML, name: str = "themes.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def text_study(tmp_path_factory):
    """A study of 24 descriptions in 3 themes embedded with the real MiniLM (id ``minilm``)."""
    from semclust.pipeline.embed import embed_study

    root = tmp_path_factory.mktemp("text-study")
    study = Study.create(root / "study", root / "images")
    rows, records = [], []
    for theme, texts in THEMES.items():
        for i, text in enumerate(texts):
            image_id = f"{theme}{i}"
            rows.append({"image_id": image_id, "path": f"{image_id}.png", "sha256": image_id,
                         "width": 8, "height": 8, "status": "ok", "error": ""})
            records.append({"image_id": image_id, "text": text, "error": None})
    study.write_images(pd.DataFrame(rows, columns=IMAGE_COLUMNS))
    study.description_path("d").write_text("".join(json.dumps(r) + "\n" for r in records))
    embed_study(study, "descriptions:d", embedder_id="minilm", progress=False)
    return study


def truth_of(image_ids) -> np.ndarray:
    return np.array([next(t for t in THEMES if i.startswith(t)) for i in image_ids])


# --- classes.yaml ------------------------------------------------------------------------
def test_load_classes_reads_names_definitions_and_aliases(tmp_path):
    classes = load_classes(write_classes(tmp_path))
    assert [c.name for c in classes] == ["pets", "cooking", "football"]
    assert classes[0] == ClassSpec("pets", "dogs, cats and other animals living with people", ("animals",))
    assert load_classes(write_classes(tmp_path, "- a\n- b\n"))[1] == ClassSpec("b")


@pytest.mark.parametrize("text, message", [
    ("name: pets\n", "expected a list of classes"),
    ("- pets\n- [a, b]\n", "item 2"),
    ("- pets\n- name: arctic\n  defintion: ice\n", "item 2 ('arctic'): key 'defintion': unknown key"),
    ("- pets\n- definition: ice\n", "item 2: key 'name': missing"),
    ("- pets\n- name: arctic\n  aliases: polar\n", "item 2 ('arctic'): key 'aliases': expected a list"),
    ("- pets\n- name: arctic\n  definition: ''\n", "key 'definition': expected a non-empty string"),
    ("- pets\n- '  '\n", "item 2 ('  '): empty class name"),
    ("- pets\n- name: Pets!\n", "also a name or alias of item 1 ('pets')"),
    ("- pets\n- name: cats\n  aliases: [pets]\n", "item 2 ('cats'): 'pets' is also a name"),
    ("- pets\n- none\n", "reserved"),
    ("- pets\n", "at least 2 classes"),
    ("- pets\n- [unclosed\n", "not valid YAML"),
])
def test_bad_classes_file_exits_2_naming_item_and_key(run_cli, text_study, tmp_path, text, message):
    path = write_classes(tmp_path, text, "bad.yaml")
    with pytest.raises(UserError) as excinfo:
        load_classes(path)
    assert message in str(excinfo.value)
    result = run_cli("classify", "text", "--study", text_study.root, "--classes", path,
                     "--embedding", "minilm")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and message in result.stderr


def test_missing_classes_file_exits_2(run_cli, text_study, tmp_path):
    result = run_cli("classify", "text", "--study", text_study.root, "--classes",
                     tmp_path / "nope.yaml", "--embedding", "minilm")
    assert result.exit_code == 2 and "classes file not found" in result.stderr


# --- templates and answer matching -------------------------------------------------------
def test_class_texts_use_definition_templates_only_where_there_is_one():
    templates = ["{name}", "an image about {name}", "{name}: {definition}"]
    assert class_texts(ClassSpec("pets", "dogs", ("animals",)), templates) == [
        "pets", "animals", "an image about pets", "an image about animals", "pets: dogs"]
    assert class_texts(ClassSpec("food"), templates) == ["food", "an image about food"]


@pytest.mark.parametrize("answer, expected", [
    ("ocean plastic", (1, "exact")),
    ("litter", (1, "exact")),
    ("Ocean Plastic.", (1, "normalised")),
    ("  the PROTEST!\n", (0, "normalised")),
    ("ocean_plastic", (1, "normalised")),
    ("protset", (0, "close")),
    ("wildfires", (2, "close")),
    ("None of these.", (-1, "none")),
    ("None of the above", (-1, "none")),
    ("", (-1, "empty")),
    ("...", (-1, "empty")),
    (None, (-1, "empty")),
    ("a cat sleeping on a sofa", (-1, "unrecognised")),
    ("pro", (-1, "unrecognised")),
])
def test_match_answer_exact_normalised_close_or_nothing(answer, expected):
    classes = [ClassSpec("protest"), ClassSpec("ocean plastic", aliases=("litter",)), ClassSpec("wildfire")]
    assert match_answer(answer, classes) == expected


def test_match_answer_tie_between_classes_is_ambiguous_not_a_guess():
    classes = [ClassSpec("cat"), ClassSpec("bat")]
    assert match_answer("hat", classes, cutoff=0.6) == (-1, "ambiguous")


def test_normalise_drops_case_punctuation_and_articles():
    assert normalise("  The Ocean_Plastic! ") == "ocean plastic"
    assert normalise("An  image") == "image"


# --- registry ----------------------------------------------------------------------------
def test_registry_lists_text_clip_vlm_and_each_has_a_command(run_cli):
    from semclust.pipeline.cli.classify import classify

    assert list(CLASSIFIERS) == ["text", "clip", "vlm"]
    assert set(classify.commands) == set(CLASSIFIERS)
    result = run_cli("classify", "--help")
    assert result.exit_code == 0 and all(name in result.stdout for name in CLASSIFIERS)


def test_unknown_classifier_exits_2_naming_the_known_ones(run_cli, text_study):
    result = run_cli("classify", "svm", "--study", text_study.root)
    assert result.exit_code == 2
    assert "unknown classifier 'svm' (known: text, clip, vlm)" in result.stderr


# --- classify text -----------------------------------------------------------------------
def classify_text(run_cli, study, classes, *extra):
    return run_cli("classify", "text", "--study", study.root, "--classes", classes,
                   "--embedding", "minilm", *extra)


def test_classify_text_assigns_descriptions_to_their_theme(run_cli, text_study, tmp_path):
    result = classify_text(run_cli, text_study, write_classes(tmp_path))
    assert result.exit_code == 0, result.stderr
    cid = "minilm--classify-text--themes"
    assert f"{cid}: wrote clusterings/{cid}" in result.stdout
    folder = text_study.clustering_dir(cid)
    assert {"labels.csv", "params.json", "summary.json", "keywords.csv", "clusters.csv",
            "scores.csv"} <= {p.name for p in folder.iterdir()}
    labels = text_study.read_labels(cid)
    names = pd.read_csv(folder / "clusters.csv").set_index("cluster")["name"]
    predicted = labels["cluster"].map(names).to_numpy()
    accuracy = float(np.mean(predicted == truth_of(labels["image_id"])))
    assert accuracy >= 0.9, accuracy
    params = text_study.read_clustering_json(cid, "params.json")
    assert params["method"] == "classify-text" and params["model"].endswith("all-MiniLM-L6-v2")
    assert params["classes"][0] == {"cluster": 0, "name": "pets", "aliases": ["animals"],
                                    "definition": "dogs, cats and other animals living with people"}
    assert params["classifier"]["method"] == "text" and params["classifier"]["templates"][0] == "{name}"
    assert text_study.clustering_embedding(cid) == "minilm"
    assert params["provenance"]["source"] == "classify" and params["provenance"]["embedding"] == "minilm"
    summary = text_study.read_clustering_json(cid, "summary.json")
    assert summary["classes"] == {"0": "pets", "1": "cooking", "2": "football"}
    assert summary["keywords_source"] == "descriptions:d"
    keywords = text_study.read_keywords(cid)
    assert set(keywords["cluster"]) <= {0, 1, 2} and len(keywords)
    scores = pd.read_csv(folder / "scores.csv")
    assert list(scores.columns) == ["image_id", "pets", "cooking", "football"]


def test_classify_text_min_similarity_sends_low_scores_to_minus_one(run_cli, text_study, tmp_path):
    classes = write_classes(tmp_path)
    classify_text(run_cli, text_study, classes, "--id", "plain")
    scores = pd.read_csv(text_study.clustering_dir("plain") / "scores.csv").set_index("image_id")
    threshold = float(np.median(scores.max(axis=1)))
    result = classify_text(run_cli, text_study, classes, "--id", "strict", "--min-similarity",
                           str(threshold))
    assert result.exit_code == 0, result.stderr
    labels = text_study.read_labels("strict").set_index("image_id")["cluster"]
    low = scores.max(axis=1) < threshold
    assert (labels[low.index[low]] == -1).all() and (labels[low.index[~low]] >= 0).all()
    summary = text_study.read_clustering_json("strict", "summary.json")
    assert summary["unassigned"] == {"below_min_similarity": int(low.sum())}
    assert "(no class: below_min_similarity" in result.stdout


def test_classify_text_other_classes_under_same_id_need_force(run_cli, text_study, tmp_path):
    classify_text(run_cli, text_study, write_classes(tmp_path), "--id", "mine")
    other = write_classes(tmp_path, "- pets\n- football\n", "other.yaml")
    refused = classify_text(run_cli, text_study, other, "--id", "mine")
    assert refused.exit_code == 2 and "exists with other classes" in refused.stderr
    same = classify_text(run_cli, text_study, write_classes(tmp_path), "--id", "mine")
    assert same.exit_code == 0 and "mine: replaced" in same.stdout
    forced = classify_text(run_cli, text_study, other, "--id", "mine", "--force")
    assert forced.exit_code == 0
    assert text_study.read_clustering_json("mine", "summary.json")["classes"] == {"0": "pets",
                                                                                  "1": "football"}


def test_classify_text_on_an_image_embedding_exits_2(run_cli, text_study, tmp_path):
    text_study.write_embeddings("pixels", np.eye(24, 8), [f"x{i}" for i in range(24)],
                                {"kind": "image", "source": "images", "model": "some/vit"})
    result = run_cli("classify", "text", "--study", text_study.root, "--classes",
                     write_classes(tmp_path), "--embedding", "pixels")
    assert result.exit_code == 2 and "not made from descriptions" in result.stderr


def test_classify_text_bad_template_exits_2_naming_it(run_cli, text_study, tmp_path):
    result = classify_text(run_cli, text_study, write_classes(tmp_path), "--template", "{label}")
    assert result.exit_code == 2
    assert "templates" in result.stderr and "{label}" in result.stderr


# --- classify vlm ------------------------------------------------------------------------
VLM_CLASSES = """\
- protest
- name: ocean plastic
  definition: plastic waste in the sea
  aliases: [litter]
- wildfire
"""
# answer per image (by position) -> (expected cluster, expected match)
SCRIPT = [("say:protest", 0, "exact"), ("say:Ocean Plastic.", 1, "normalised"),
          ("say:protset", 0, "close"), ("empty", -1, "empty"),
          ("say:None of these.", -1, "none"), ("say:a cat sleeping on a sofa", -1, "unrecognised"),
          ("say:litter", 1, "exact"), ("say:wildfires", 2, "close")]


def classify_vlm(run_cli, study, server, classes, *extra):
    return run_cli("classify", "vlm", "--study", study.root, "--classes", classes, "--backend",
                   "openai", "--model", "test-vlm", "--base-url", server.url, "--backoff", "0.05",
                   "--quiet", *extra)


def test_classify_vlm_maps_answers_and_counts_the_rest(run_cli, make_image_study, tmp_path):
    study = make_image_study(n=len(SCRIPT))
    images = study.read_images()
    script = {sha: [action] for sha, (action, _, _) in zip(images["sha256"], SCRIPT)}
    classes = write_classes(tmp_path, VLM_CLASSES, "climate.yaml")
    with ChatServer(script=script) as server:
        result = classify_vlm(run_cli, study, server, classes)
        assert sum(server.requests.values()) == len(SCRIPT)
        prompt = server.bodies[0]["messages"][0]["content"][0]["text"]
    assert result.exit_code == 0, result.stderr
    assert "Answer with exactly one of: protest, ocean plastic, wildfire." in prompt
    assert prompt == vlm_prompt(load_classes(classes))
    cid = "openai-test-vlm--classify-vlm--climate"
    labels = study.read_labels(cid).set_index("image_id")["cluster"]
    assert [int(labels[i]) for i in images["image_id"]] == [c for _, c, _ in SCRIPT]
    answers = pd.read_csv(study.clustering_dir(cid) / "answers.csv", keep_default_na=False)
    assert answers.set_index("image_id")["match"].reindex(images["image_id"]).tolist() == \
        [m for _, _, m in SCRIPT]
    summary = study.read_clustering_json(cid, "summary.json")
    assert summary["unassigned"] == {"empty": 1, "none": 1, "unrecognised": 1}
    assert summary["n_noise"] == 3
    params = study.read_clustering_json(cid, "params.json")
    assert params["matching"]["cutoff"] == 0.8
    assert params["describer"]["prompt"] == prompt and params["tokens"]["total"] > 0
    assert "unrecognised answer" in result.stdout and "a cat sleeping" in result.stdout
    assert describer_id("openai", "test-vlm", prompt) in study.list_describers()


def test_classify_vlm_rerun_asks_nothing_and_retry_failed_asks_the_failed(run_cli, make_image_study,
                                                                           tmp_path):
    study = make_image_study(n=3)
    images = study.read_images()
    script = {images["sha256"][0]: ["say:wildfire"], images["sha256"][1]: ["empty"],
              images["sha256"][2]: ["say:protest"]}
    classes = write_classes(tmp_path, VLM_CLASSES, "climate.yaml")
    cid = "openai-test-vlm--classify-vlm--climate"
    with ChatServer(script=script) as server:
        classify_vlm(run_cli, study, server, classes)
        again = classify_vlm(run_cli, study, server, classes)
        assert sum(server.requests.values()) == 3
        assert again.exit_code == 0 and "skipped 3" in again.stdout
        retried = classify_vlm(run_cli, study, server, classes, "--retry-failed")
        assert sum(server.requests.values()) == 4
    assert retried.exit_code == 0
    answers = pd.read_csv(study.clustering_dir(cid) / "answers.csv", keep_default_na=False)
    second = answers.set_index("image_id").loc[images["image_id"][1]]
    assert second["answer"] == answer_text(images["sha256"][1]) and second["match"] == "unrecognised"
    assert study.read_labels(cid)["cluster"].tolist() == [2, -1, 0]


def test_classify_vlm_every_request_failing_exits_1_and_writes_nothing(run_cli, make_image_study,
                                                                        tmp_path):
    study = make_image_study(n=2)
    script = {sha: ["500"] for sha in study.read_images()["sha256"]}
    classes = write_classes(tmp_path, VLM_CLASSES, "climate.yaml")
    with ChatServer(script=script) as server:
        result = classify_vlm(run_cli, study, server, classes, "--max-retries", "0")
    assert result.exit_code == 1 and "nothing was classified" in result.stderr
    assert study.list_clusterings() == []


# --- classify clip -----------------------------------------------------------------------
def _word_tokenizer(max_length: int):
    from support.tiny_models import build_word_tokenizer

    tokenizer = build_word_tokenizer(extra_special=())
    tokenizer.model_max_length = max_length
    return tokenizer


def build_tiny_clip(path):
    """A random-weight CLIPModel (2-layer towers, 16-d projection) with tokenizer and processor."""
    import torch
    from transformers import CLIPConfig, CLIPModel, CLIPProcessor, CLIPTextConfig, CLIPVisionConfig

    from support.tiny_models import _image_processor_class

    tokenizer = _word_tokenizer(32)
    text = CLIPTextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                          num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=32,
                          pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                          eos_token_id=tokenizer.eos_token_id, projection_dim=16)
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                              num_attention_heads=2, image_size=32, patch_size=8, projection_dim=16)
    torch.manual_seed(0)
    model = CLIPModel(CLIPConfig(text_config=text.to_dict(), vision_config=vision.to_dict(),
                                 projection_dim=16)).eval()
    image_processor = _image_processor_class()(size={"shortest_edge": 32},
                                               crop_size={"height": 32, "width": 32})
    model.save_pretrained(path)
    CLIPProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(path)
    return path


def build_tiny_siglip(path):
    """A random-weight SiglipModel with a word tokenizer and SigLIP's image processor."""
    import torch
    import transformers
    from transformers import SiglipConfig, SiglipModel, SiglipTextConfig, SiglipVisionConfig

    tokenizer = _word_tokenizer(16)
    text = SiglipTextConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                            num_hidden_layers=2, num_attention_heads=2, max_position_embeddings=16,
                            pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                            eos_token_id=tokenizer.eos_token_id)
    vision = SiglipVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                num_attention_heads=2, image_size=32, patch_size=8)
    torch.manual_seed(0)
    model = SiglipModel(SiglipConfig(text_config=text.to_dict(), vision_config=vision.to_dict())).eval()
    processor_class = (getattr(transformers, "SiglipImageProcessorPil", None)
                       or transformers.SiglipImageProcessor)
    model.save_pretrained(path)
    processor_class(size={"height": 32, "width": 32}).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    return build_tiny_clip(tmp_path_factory.mktemp("models") / "tiny-clip")


def classify_clip(run_cli, study, model, classes, *extra):
    return run_cli("classify", "clip", "--study", study.root, "--classes", classes, "--model", model,
                   "--device", "cpu", "--quiet", *extra)


def test_classify_clip_tiny_model_writes_a_valid_clustering(run_cli, image_study, tiny_clip, tmp_path):
    classes = write_classes(tmp_path, VLM_CLASSES, "climate.yaml")
    result = classify_clip(run_cli, image_study, tiny_clip, classes)
    assert result.exit_code == 0, result.stderr
    cid = "tiny-clip--classify-clip--climate"
    labels = image_study.read_labels(cid)
    assert sorted(labels["image_id"]) == sorted(image_study.read_images()["image_id"])
    assert labels["cluster"].between(0, 2).all()
    scores = pd.read_csv(image_study.clustering_dir(cid) / "scores.csv").set_index("image_id")
    assert np.allclose(scores.sum(axis=1), 1, atol=1e-4)  # softmax over the classes
    assert (scores.to_numpy().argmax(axis=1) == labels.set_index("image_id")["cluster"]
            .reindex(scores.index).to_numpy()).all()
    params = image_study.read_clustering_json(cid, "params.json")
    assert params["score"] == "softmax(t * cosine)" and params["embedding"]["embedded_now"]
    assert "no keywords" in result.stdout
    strict = classify_clip(run_cli, image_study, tiny_clip, classes, "--id", "strict",
                           "--min-probability", "0.99")
    assert strict.exit_code == 0
    assert (image_study.read_labels("strict")["cluster"] == -1).all()


def test_classify_clip_reuses_a_stored_image_embedding_of_the_same_model(run_cli, image_study,
                                                                        tiny_clip, tmp_path):
    classes = write_classes(tmp_path, VLM_CLASSES, "climate.yaml")
    classify_clip(run_cli, image_study, tiny_clip, classes, "--id", "fresh")
    embedded = run_cli("embed", "--study", image_study.root, "--from", "images", "--model", tiny_clip,
                       "--id", "tiny-clip-images", "--device", "cpu", "--quiet")
    assert embedded.exit_code == 0, embedded.stderr
    result = classify_clip(run_cli, image_study, tiny_clip, classes, "--id", "reused")
    assert result.exit_code == 0, result.stderr
    assert "reusing image embedding tiny-clip-images" in result.stderr
    assert image_study.clustering_embedding("reused") == "tiny-clip-images"
    fresh = pd.read_csv(image_study.clustering_dir("fresh") / "scores.csv").set_index("image_id")
    reused = pd.read_csv(image_study.clustering_dir("reused") / "scores.csv").set_index("image_id")
    assert np.allclose(fresh.sort_index(), reused.sort_index(), atol=1e-4)


def test_classify_clip_siglip_scores_are_sigmoids(run_cli, image_study, tmp_path):
    model = build_tiny_siglip(tmp_path / "tiny-siglip")
    result = classify_clip(run_cli, image_study, model, write_classes(tmp_path, VLM_CLASSES, "c.yaml"))
    assert result.exit_code == 0, result.stderr
    cid = "tiny-siglip--classify-clip--c"
    params = image_study.read_clustering_json(cid, "params.json")
    assert params["model_type"] == "siglip" and params["score"] == "sigmoid(t * cosine + b)"
    scores = pd.read_csv(image_study.clustering_dir(cid) / "scores.csv").set_index("image_id")
    assert ((scores > 0) & (scores < 1)).all().all()
    assert image_study.read_labels(cid)["cluster"].between(0, 2).all()


def test_classify_vlm_hf_backend_runs_a_local_model_end_to_end(run_cli, make_image_study, tmp_path):
    from support.tiny_models import build_tiny_llava

    model = build_tiny_llava(tmp_path / "tiny-llava")
    study = make_image_study(n=3)
    result = run_cli("classify", "vlm", "--study", study.root, "--classes",
                     write_classes(tmp_path, VLM_CLASSES, "climate.yaml"), "--backend", "hf",
                     "--model", model, "--device", "cpu", "--max-tokens", "4", "--quiet")
    assert result.exit_code == 0, result.stderr
    cid = "hf-tiny-llava--classify-vlm--climate"
    assert study.read_labels(cid)["cluster"].between(-1, 2).all()
    answers = pd.read_csv(study.clustering_dir(cid) / "answers.csv", keep_default_na=False)
    assert len(answers) == 3 and (answers["answer"] != "").all()  # random words, mapped or counted
    assert study.read_clustering_json(cid, "params.json")["describer"]["params"]["max_new_tokens"] == 4
