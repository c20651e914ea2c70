"""`semclust name`: an LLM names each cluster from its typical descriptions and keywords."""
from __future__ import annotations

from pathlib import Path

import click

from semclust.cli_options import study_option
from semclust.extras import needs
from semclust.pipeline.cli._options import openai_endpoint


@click.command("name")
@study_option()
@click.option("--clustering", "clustering_id", required=True, help="Clustering id, or 'all'.")
@click.option("--model", required=True, help="Chat model the endpoint serves.")
@click.option("--nr-docs", type=click.IntRange(min=1), default=4, show_default=True,
              help="Typical descriptions shown per cluster.")
@click.option("--select", type=click.Choice(["tfidf", "centroid"]), default="tfidf", show_default=True,
              help="Typical = most keyword weight (tfidf) or nearest the embedding centroid.")
@click.option("--doc-chars", type=click.IntRange(min=20), default=600, show_default=True,
              help="Characters kept of each description.")
@click.option("--prompt-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Your prompt, with the fields {keywords} and {documents}.")
@openai_endpoint
@click.option("--max-tokens", type=click.IntRange(min=1), default=24, show_default=True,
              help="Longest answer in tokens.")
@click.option("--temperature", type=float, default=0.0, show_default=True, help="Sampling temperature.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@needs("pipeline", "openai")
def name(study, clustering_id, model, nr_docs, select, doc_chars, prompt_file, endpoint, max_tokens,
         temperature, quiet):
    """Name each non-noise cluster with a chat model: writes clusterings/<id>/names.csv.

    One prompt per cluster holds its keywords and its most typical descriptions;
    the answer (at most three words) is the name. Answers are cached in
    names.jsonl, so a re-run asks nothing again. Duplicate names are flagged.
    docs/llm.md gives the prompt and the rules.

    \b
    Example:
      semclust name --study studies/demo --clustering minilm-l6--demo--umap-c5-n15--hdb-m12 \\
          --model llama3.1:8b --base-url http://localhost:11434/v1
    """
    from semclust.pipeline.chat import ChatClient
    from semclust.pipeline.naming import DEFAULT_PROMPT, name_clusters
    from semclust.study import UserError
    prompt = DEFAULT_PROMPT
    if prompt_file is not None:
        try:
            prompt = prompt_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"cannot read --prompt-file {prompt_file}: {exc}") from None
    ids = study.list_clusterings() if clustering_id == "all" else [clustering_id]
    client = ChatClient(model=model, **endpoint, max_tokens=max_tokens, temperature=temperature)
    for cid in ids:
        study.read_labels(cid)  # UserError naming the known ones
        table, summary = name_clusters(study, cid, client, nr_docs, select, doc_chars, prompt,
                                       progress=not quiet)
        counts = table["status"].value_counts()
        click.echo(f"{cid}: {len(table)} clusters named ({', '.join(f'{s} {n}' for s, n in counts.items())})")
        for line in summary.lines():
            click.echo(f"  {line}")
        for row in table.itertuples(index=False):
            click.echo(f"  {row.cluster:>4}  {row.name or '-'}{'' if row.status == 'ok' else f'  ({row.status})'}")


commands = [name]
