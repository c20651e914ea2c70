"""The Label Studio bridge, online half: push tasks to and pull annotations from a server.

Everything goes through ``label_studio_sdk.LabelStudio`` (SDK 2.x) with an
explicit ``base_url``; the old ``label_studio_sdk.Client`` sends the wrong
auth header for current servers. One project per study and task kind, found
again by a stable title; the tasks carry the opaque refs of
:mod:`annotate.labelstudio`, so pushing twice imports only what is missing and
pulling maps every task back to our pair or set (or says which it cannot).
"""
from __future__ import annotations

import hashlib
import json
import os
from contextlib import contextmanager
from typing import Callable

from semclust.annotate import labelstudio as ls
from semclust.extras import require
from semclust.study import Study, UserError
from semclust.vocabulary import DIMENSIONS

DEFAULT_KEY_ENV = "LABEL_STUDIO_API_KEY"


@contextmanager
def _server(url: str, doing: str):
    """Turn transport and API failures into one-line UserErrors naming the server."""
    import httpx
    from label_studio_sdk.core.api_error import ApiError

    try:
        yield
    except httpx.TransportError as exc:
        raise UserError(f"cannot reach Label Studio at {url} while {doing}: "
                        f"{type(exc).__name__} {exc}".strip()) from None
    except ApiError as exc:
        if exc.status_code in (401, 403):
            raise UserError(f"Label Studio at {url} refused the API key while {doing} "
                            f"(HTTP {exc.status_code}): check the key, and that legacy tokens are "
                            "enabled (LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true) if it is one") from None
        body = exc.body if isinstance(exc.body, dict) else {"detail": exc.body}
        detail = " ".join(str(body.get(k)) for k in ("detail", "validation_errors") if body.get(k))
        raise UserError(f"Label Studio at {url} answered HTTP {exc.status_code} while {doing}: "
                        f"{str(detail)[:300]}") from None


def connect(url: str, api_key: str | None = None, key_env: str = DEFAULT_KEY_ENV):
    """A checked ``LabelStudio`` client: the server answers and accepts the key.

    ``api_key`` defaults to the environment variable ``key_env``.
    """
    require("labelstudio", "label_studio_sdk", what="talking to Label Studio")
    from label_studio_sdk import LabelStudio

    if not url or not url.startswith(("http://", "https://")):
        raise UserError(f"--url must be the Label Studio address, e.g. http://localhost:8080 (got {url!r})")
    api_key = api_key or os.environ.get(key_env)
    if not api_key:
        raise UserError(f"no Label Studio API key: set the environment variable {key_env} "
                        "(Account & Settings > Access Token in Label Studio)")
    client = LabelStudio(base_url=url.rstrip("/"), api_key=api_key, timeout=120, max_retries=1)
    with _server(url, "checking the API key"):
        client.users.whoami()
    client.semclust_url = url  # for error messages of the functions below
    return client


def project_title(study: Study, task: str, clustering_id: str | None = None) -> str:
    """The stable title that identifies a study's project (no clustering name in it).

    At most 50 characters (Label Studio's limit): study name, task kind and a
    short hash of the study (creation time, name, image root) and clustering.
    """
    config = study.config
    salt = (f"{config.get('created_at', '')}|{config.get('name', study.root.name)}|"
            f"{config.get('image_root', '')}|{task}|{clustering_id or ''}")
    tag = hashlib.sha256(salt.encode()).hexdigest()[:6]
    kind = "pair ratings" if task == "pairs" else "matching"
    return f"semclust {str(config.get('name', study.root.name))[:22]} {kind} {tag}"


def _description(task: str) -> str:
    if task == "pairs":
        return "Rate each image pair on both questions. " + " ".join(
            d["definition"] for d in DIMENSIONS.values())
    return "Choose, for each set of images, the one description that fits them best."


def checked_project(client, project_id: int, task: str):
    """Project ``project_id``; UserError if it is missing or its config is not ours for ``task``."""
    url = client.semclust_url
    with _server(url, f"reading project {project_id}"):
        project = client.projects.get(id=project_id)
    kind = ls.config_kind(project.label_config)
    if kind != task:
        raise UserError(f"Label Studio project {project.id} {project.title!r} at {url} has a "
                        f"labeling config that is not semclust's {task} config (found: "
                        f"{kind or 'another one'}); rename or delete that project, or use another")
    return project


def find_project(client, title: str, task: str):
    """The project titled ``title`` (or None); UserError if its config is not ours for ``task``."""
    with _server(client.semclust_url, "listing projects"):
        found = [p for p in client.projects.list(title=title) if p.title == title]
    return checked_project(client, found[0].id, task) if found else None


def _task_refs(client, project_id: int) -> dict[str, int]:
    with _server(client.semclust_url, "listing the project's tasks"):
        tasks = client.tasks.list(project=project_id, fields="task_only", page_size=500)
        return {(t.data or {}).get("ref"): t.id for t in tasks}


def ensure_local_storage(client, project_id: int, folder) -> bool:
    """Register ``folder`` as a Local Files import storage of the project (never synced).

    Label Studio serves ``/data/local-files/?d=...`` only below such a storage.
    Returns True when one was added, False when the project already had it.
    """
    folder = str(folder)
    with _server(client.semclust_url, "checking the project's local-files storage"):
        if any(s.path == folder for s in client.import_storage.local.list(project=project_id)):
            return False
    with _server(client.semclust_url, f"adding the local-files storage {folder} (it must lie under "
                                      "LABEL_STUDIO_LOCAL_FILES_DOCUMENT_ROOT)"):
        client.import_storage.local.create(project=project_id, path=folder, title="semclust images",
                                           use_blob_urls=False, recursive_scan=True)
    return True


def push(client, study: Study, task: str, clustering_id: str | None,
         url: Callable[[str], str], local_files_folder=None, project_id: int | None = None) -> dict:
    """Create (or find) the project and import the tasks it does not have yet.

    ``local_files_folder``, in local-files mode, is registered as the project's
    Local Files storage so Label Studio serves the images. Returns
    ``{"project": id, "title", "imported": n, "already": n}``. Raises UserError
    when the project holds tasks that are not in this study. ``project_id``
    chooses an existing project (e.g. one made by hand) instead of the title.
    """
    config, tasks = ls.build(study, task, clustering_id, url)
    title = project_title(study, task, clustering_id)
    project = (checked_project(client, project_id, task) if project_id
               else find_project(client, title, task))
    if project is None:
        with _server(client.semclust_url, "creating the project"):
            project = client.projects.create(title=title, label_config=config,
                                             description=_description(task))
    if local_files_folder is not None:
        ensure_local_storage(client, project.id, local_files_folder)
    aliases = ls.ref_aliases(study, task, clustering_id)  # tasks pushed before blinding keys
    existing = {aliases.get(ref, ref): task_id for ref, task_id in _task_refs(client, project.id).items()}
    ours = {t["data"]["ref"] for t in tasks}
    strangers = [r for r in existing if r not in ours]
    if strangers:
        raise UserError(f"project {project.id} {title!r} holds {len(strangers)} task(s) that are not "
                        f"in this study's {task} sample (e.g. ref {strangers[0]!r}); nothing imported")
    missing = [t for t in tasks if t["data"]["ref"] not in existing]
    if missing:
        with _server(client.semclust_url, "importing tasks"):
            client.projects.import_tasks(id=project.id, request=missing)
    return {"project": project.id, "title": project.title, "imported": len(missing),
            "already": len(tasks) - len(missing)}


def export_json(client, project_id: int) -> list[dict]:
    """The project's JSON export: every task with all its annotations (cancelled ones included)."""
    with _server(client.semclust_url, "exporting annotations"):
        raw = b"".join(client.projects.exports.download_sync(
            project_id, export_type="JSON", download_all_tasks=True, download_resources=False))
    return json.loads(raw)


def user_emails(client) -> dict[int, str]:
    """``{user id: email}`` of the organisation (exports name annotators by id only)."""
    with _server(client.semclust_url, "listing users"):
        return {u.id: u.email for u in client.users.list()}


def pull(client, study: Study, task: str, clustering_id: str | None = None,
         project_id: int | None = None):
    """Export the study's project and convert it: ``(frames, report)``.

    ``frames`` is ``{"ratings", "comments"}`` for pairs or ``{"matches"}`` for sets
    (see :func:`annotate.labelstudio.ratings_from_export` and
    :func:`~annotate.labelstudio.matches_from_export`); ``report`` counts tasks,
    annotations, skipped ones and rows. ``project_id`` chooses the project instead
    of the study's stable title (for projects made by hand from ``export``).
    """
    if task == "sets" and not clustering_id:
        raise UserError("--task sets needs --clustering ID (the clustering whose sets were matched)")
    title = project_title(study, task, clustering_id)
    project = (checked_project(client, project_id, task) if project_id
               else find_project(client, title, task))
    if project is None:
        raise UserError(f"no project {title!r} at {client.semclust_url}: push the {task} first")
    export = export_json(client, project.id)
    emails = user_emails(client)
    if task == "pairs":
        ratings, comments, report = ls.ratings_from_export(study, export, emails)
        frames = {"ratings": ratings, "comments": comments}
    else:
        key = ls.load_key(study, clustering_id)
        matches, report = ls.matches_from_export(study, clustering_id, export, emails, key)
        frames = {"matches": matches}
    report.update(project=project.id, title=project.title)
    return frames, report
