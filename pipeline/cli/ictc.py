"""``semclust ictc run|labels|names|assign``: IC|TC clustering by a text criterion with a language model.

Each subcommand parses its options, builds a :class:`semclust.pipeline.chat.ChatClient`
and calls one step of :mod:`semclust.pipeline.ictc.run`.
"""
from __future__ import annotations

import functools

import click

from semclust.cli_options import study_option
from semclust.pipeline.cli._options import openai_endpoint


def _options(options):
    return lambda command: functools.reduce(lambda c, o: o(c), reversed(options), command)


_study = _options([
    study_option(),
    click.option("--run", "run_id", default=None,
                 help="Run name: criteria/<run>/ and clusterings/<run>/ "
                      "[default: ictc-<criterion>; required by names and assign]."),
])
_chat_options = _options([
    click.option("--model", required=True, help="Model name as the server knows it."),
    click.option("--max-tokens", type=click.IntRange(min=1), default=256, show_default=True,
                 help="Longest answer in tokens."),
    click.option("--temperature", type=float, default=0.0, show_default=True,
                 help="Sampling temperature."),
    click.option("--prompt-dir", type=click.Path(file_okay=False, exists=True), default=None,
                 help="Folder of prompt files (system, label, names, correct, assign .txt) that "
                      "replace the shipped ones."),
    click.option("--quiet", is_flag=True, help="No progress bar."),
])


def _chat(command):
    """The chat options: --model, the shared endpoint options, generation and prompts."""
    return _chat_options(openai_endpoint(command))
_criterion = _options([
    click.option("--describer", required=True, help="Descriptions to cluster (descriptions/<id>.jsonl)."),
    click.option("--criterion", required=True, help='What to cluster by, e.g. "mood".'),
])
_names = _options([
    click.option("--k", "k", type=click.IntRange(min=2), default=None, help="Number of clusters."),
    click.option("--min-count", type=click.IntRange(min=1), default=None,
                 help="Drop labels seen fewer times before naming [default: max(1, ceil(n/500)), "
                      "n = labelled descriptions]."),
])
_names_file = click.option("--names-file", type=click.Path(dir_okay=False, exists=True), default=None,
                           help="Your own cluster names (one per line, or a JSON list): skips asking "
                                "the model for names.")
_cutoff = click.option("--cutoff", type=click.FloatRange(0, 1), default=0.8, show_default=True,
                       help="Lowest difflib ratio for a close match of an answer to a name.")


def _setup(study, run_id, criterion, chat: dict, need_run: bool = False):
    from semclust.pipeline.chat import ChatClient
    from semclust.pipeline.ictc.prompting import load_prompts
    from semclust.study import UserError
    if run_id is None:
        if need_run or not criterion:
            raise UserError("--run is required (the name given to `semclust ictc labels`)")
        import re

        run_id = "ictc-" + (re.sub(r"[^A-Za-z0-9]+", "-", criterion).strip("-").lower()[:60] or "criterion")
    prompt_dir, progress = chat.pop("prompt_dir"), not chat.pop("quiet")
    client = ChatClient(model=chat.pop("model"), **chat.pop("endpoint"), **chat)
    return study, run_id, client, load_prompts(prompt_dir), prompt_dir, progress


def _echo(result) -> None:
    for line in result.lines:
        click.echo(line)


def _tokens(study, run_id) -> None:
    from semclust.pipeline.ictc.run import total_tokens

    tokens = total_tokens(study, run_id)
    steps = ", ".join(f"{s} {t['total']}" for s, t in tokens.items() if s != "all")
    a = tokens["all"]
    click.echo(f"tokens of run {run_id} so far: {a['total']} (prompt {a['prompt']}, completion "
               f"{a['completion']}; {steps})")


def _clustering_line(study, run_id) -> None:
    summary = study.read_clustering_json(run_id, "summary.json")
    click.echo(f"{run_id}: wrote clusterings/{run_id}/ ({summary['n_images']} images, "
               f"{summary['n_noise']} without a cluster)")
    click.echo(f"{'cluster':>7}  {'images':>6}  name")
    for cluster, name in summary["names"].items():
        click.echo(f"{cluster:>7}  {summary['sizes'].get(cluster, 0):>6}  {name}")


@click.command("labels")
@_study
@_criterion
@_chat
def labels(study, run_id, describer, criterion, **chat):
    """Step 2a: ask one short label for the criterion per description.

    Answers are cached in criteria/<run>/labels.jsonl (a killed run resumes
    without asking again); labels go to criteria/<run>/labels.csv.

    \b
    Example:
      semclust ictc labels --study studies/demo --describer demo --criterion "mood" \\
          --run mood --model gpt-4o-mini
    """
    from semclust.pipeline.ictc.run import run_labels

    study, run_id, client, prompts, prompt_dir, progress = _setup(study, run_id, criterion, chat)
    _echo(run_labels(study, run_id, client, describer, criterion, prompts, prompt_dir, progress))
    _tokens(study, run_id)


@click.command("names")
@_study
@_names
@_names_file
@_chat
def names(study, run_id, k, min_count, names_file, **chat):
    """Step 2b: turn the label counts into exactly K cluster names.

    If the answer does not hold exactly K distinct names the model is asked
    again with a correction, at most 2 times; then the command exits 2 showing
    the answer. Writes criteria/<run>/label_counts.csv and names.json.

    \b
    Example:
      semclust ictc names --study studies/demo --run mood --k 5 --model gpt-4o-mini
    """
    from semclust.pipeline.ictc.run import run_names
    from semclust.study import UserError

    if k is None and names_file is None:
        raise UserError("give --k (or --names-file)")
    study, run_id, client, prompts, _, _ = _setup(study, run_id, None, chat, need_run=True)
    _echo(run_names(study, run_id, client, k or 0, prompts, min_count, names_file))
    _tokens(study, run_id)


@click.command("assign")
@_study
@_names_file
@_cutoff
@_chat
def assign(study, run_id, names_file, cutoff, **chat):
    """Step 3: ask each description's cluster name; write the clustering.

    Answers are mapped by exact, normalised, then close-string match; anything
    else gets -1 and is counted. Edit the names and re-run this step alone with
    --names-file (criterion refinement). Writes criteria/<run>/assignments.csv
    and clusterings/<run>/.

    \b
    Example:
      semclust ictc assign --study studies/demo --run mood --model gpt-4o-mini \\
          --names-file my_names.txt
    """
    from semclust.pipeline.ictc.run import run_assign

    study, run_id, client, prompts, _, progress = _setup(study, run_id, None, chat, need_run=True)
    _echo(run_assign(study, run_id, client, prompts, cutoff, names_file, progress))
    _clustering_line(study, run_id)
    _tokens(study, run_id)


@click.command("run")
@_study
@_criterion
@_names
@_names_file
@_cutoff
@_chat
def run(study, run_id, describer, criterion, k, min_count, names_file, cutoff, **chat):
    """Run IC|TC: labels, names and assign, one after the other.

    Step 1 is `semclust describe` with a prompt about the criterion. Every
    answer is cached under criteria/<run>/, so re-running asks only what is
    missing. The clustering goes to clusterings/<run>/.

    \b
    Example:
      semclust ictc run --study studies/demo --describer demo --criterion "mood" \\
          --k 5 --model gpt-4o-mini --base-url http://localhost:8000/v1
    """
    from semclust.pipeline.ictc.run import run_assign, run_labels, run_names
    from semclust.study import UserError

    if k is None and names_file is None:
        raise UserError("give --k (or --names-file)")
    study, run_id, client, prompts, prompt_dir, progress = _setup(study, run_id, criterion, chat)
    _echo(run_labels(study, run_id, client, describer, criterion, prompts, prompt_dir, progress))
    _echo(run_names(study, run_id, client, k or 0, prompts, min_count, names_file))
    _echo(run_assign(study, run_id, client, prompts, cutoff, None, progress))
    _clustering_line(study, run_id)
    _tokens(study, run_id)


@click.group("ictc")
def ictc():
    """IC|TC: cluster descriptions by a text criterion with a language model.

    \b
    Steps (after `semclust describe` with a prompt about the criterion):
      labels  each description -> a short label for the criterion
      names   the label counts -> exactly K cluster names
      assign  each description -> one of the K names -> clusterings/<run>/
    `run` does all three.
    """


for _command in (run, labels, names, assign):
    ictc.add_command(_command)

commands = [ictc]
