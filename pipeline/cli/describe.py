"""``semclust describe``: write one description per image with a describer backend."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.pipeline.cli._options import hf_model, openai_endpoint
from semclust.pipeline.describers import BACKENDS
from semclust.study import UserError


@click.command("describe")
@study_option(help="Study folder (made by `semclust ingest`).")
@click.option("--backend", required=True, type=click.Choice(list(BACKENDS)),
              help="openai: OpenAI-compatible endpoint; hf: local transformers model; "
                   "file: import existing descriptions.")
@click.option("--model", default=None, help="Model name (openai), name or path (hf), "
              "or label of the imported texts (file).")
@click.option("--prompt", default=None, help="The question asked for every image "
              "[default: 'Describe the connotative meaning of this image, in one paragraph'].")
@click.option("--prompt-file", type=click.Path(dir_okay=False), default=None,
              help="Read the prompt from this text file.")
@click.option("--id", "describer_id", default=None,
              help="Describer id (file name under descriptions/) [default: backend-model-hash].")
@click.option("--retry-failed", is_flag=True, help="Ask again for images whose earlier answer failed.")
@click.option("--retry-flagged", is_flag=True,
              help="Ask again for images whose description `semclust descriptions check` flagged.")
@click.option("--limit", type=click.IntRange(min=0), default=None,
              help="Request at most this many images now (try a paid API on a few first).")
@openai_endpoint
@click.option("--max-tokens", type=click.IntRange(min=1), default=None,
              help="Longest answer in tokens [default: 512 openai, 256 hf].")
@click.option("--temperature", type=float, default=0.0, show_default=True,
              help="[openai] Sampling temperature.")
@hf_model
@click.option("--input", "input_path", type=click.Path(dir_okay=False), default=None,
              help="[file] CSV or JSONL with `text` and `image_id` or `path`.")
def describe(study, backend, model, prompt, prompt_file, describer_id, retry_failed, retry_flagged,
             limit, endpoint, max_tokens, temperature, hf, input_path):
    """Describe every image of a study with a vision-language model (or import descriptions).

    Writes descriptions/<id>.jsonl, one record per image, appended as each answer
    arrives. Re-running resumes: images already described with the same model,
    prompt and parameters are never requested again.

    \b
    Examples:
      semclust describe --study S --backend openai --model gpt-4o-mini
      semclust describe --study S --backend openai --base-url http://localhost:8000/v1 \\
          --model llava-hf/llava-1.5-7b-hf --concurrency 64
      semclust describe --study S --backend hf --model llava-hf/llava-1.5-7b-hf --batch-size 32
      semclust describe --study S --backend file --input data/demo/descriptions.jsonl
    """
    from semclust.pipeline.describe import DEFAULT_PROMPT, describe_study
    from semclust.pipeline.describers import get_describer
    from semclust.study import check_id
    if describer_id is not None:
        check_id("describer", describer_id)
    if prompt is not None and not prompt.strip():
        raise UserError("--prompt is empty")
    if prompt and prompt_file:
        raise UserError("give --prompt or --prompt-file, not both")
    if prompt_file:
        prompt = _read_prompt(Path(prompt_file))
    if backend == "openai":
        options = dict(model=model, **endpoint, max_tokens=max_tokens or 512, temperature=temperature)
    elif backend == "hf":
        options = dict(model=model, **hf, max_new_tokens=max_tokens or 256)
    else:
        options = dict(input_path=input_path, study=study, model=model, prompt=prompt)
    describer = get_describer(backend, **options)
    if prompt is None:
        prompt = getattr(describer, "default_prompt", DEFAULT_PROMPT)
    summary = describe_study(study, describer, prompt=prompt, describer_id=describer_id,
                             retry_failed=retry_failed, limit=limit, retry_flagged=retry_flagged)
    for line in summary.lines():
        click.echo(line)
    if summary.nothing_succeeded:
        click.echo(f"error: no image was described: all {summary.failed} request(s) failed "
                   "(see the errors above); nothing is lost, re-run with --retry-failed", err=True)
        raise click.exceptions.Exit(1)


def _read_prompt(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read --prompt-file {path}: {exc}") from None
    if not text:
        raise UserError(f"--prompt-file {path} is empty")
    return text


commands = [describe]
