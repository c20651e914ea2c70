"""`semclust serve`: the annotation app (or only its image route) on a waitress server."""
from __future__ import annotations

import errno
import ipaddress
import sqlite3

import click

from semclust.cli_options import study_option
from semclust.extras import needs
from semclust.study import UserError

LOOPBACK = ("127.0.0.1", "localhost", "::1")

# Connections: every open connection holds a file descriptor; each server thread holds
# its own SQLite connection (database, -wal and -shm: 3 descriptors); the rest (listening
# socket, waitress's trigger pipe, Python's own files) fits in FD_RESERVE.
DEFAULT_CONNECTION_LIMIT = 1000
DEFAULT_CHANNEL_TIMEOUT = 15
FD_RESERVE = 64


def fd_budget(connection_limit: int, threads: int) -> tuple[int, str]:
    """(connection limit the process's open-file limit allows, a warning or "").

    Raises the soft ``RLIMIT_NOFILE`` towards the hard one when it is too low;
    if even the hard limit is too low, clamps the connection limit and says so.
    """
    try:
        import resource
    except ImportError:  # Windows: no such limit to check
        return connection_limit, ""
    need = connection_limit + 3 * threads + FD_RESERVE
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < need:
        target = need if hard == resource.RLIM_INFINITY else min(need, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= need:
        return connection_limit, ""
    allowed = max(1, soft - 3 * threads - FD_RESERVE)
    return allowed, (f"warning: the open-file limit ({soft}, `ulimit -n`) allows only {allowed} connections: "
                     f"using --connection-limit {allowed} (raise the hard limit to allow {connection_limit})")


def bind_error(host: str, port: int, exc: OSError) -> UserError:
    """One line naming the address and what to do, for an OSError of binding it."""
    where = f"{host}:{port}"
    if exc.errno == errno.EADDRINUSE:
        return UserError(f"cannot serve on {where}: the port is already in use (another `semclust serve`?); "
                         "stop that server or choose another --port")
    if exc.errno == errno.EADDRNOTAVAIL:
        return UserError(f"cannot serve on {where}: {host} is not an address of this machine; "
                         "use --host 127.0.0.1 (or an address `ip addr` lists)")
    if exc.errno == errno.EACCES:
        return UserError(f"cannot serve on {where}: permission denied (ports below 1024 need root); "
                         "choose a --port above 1023")
    reason = exc.strerror or str(exc)
    return UserError(f"cannot serve on {where}: {reason}; check --host and --port")


@click.command()
@study_option()
@click.option("--host", default=None,
              help="Interface to bind. Only loopback unless you mean to expose the app. "
                   "[default: study.yaml serve: host, else 127.0.0.1]")
@click.option("--port", default=None, type=click.IntRange(0, 65535),
              help="TCP port. [default: study.yaml serve: port, else 5000]")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64),
              help="Worker threads of the waitress server.")
@click.option("--images-only", is_flag=True,
              help="Serve only GET /images/<image_id>, without login (for Label Studio).")
@click.option("--connection-limit", default=DEFAULT_CONNECTION_LIMIT, show_default=True,
              type=click.IntRange(1, 100_000),
              help="Most open client connections; beyond it new connections wait. Needs about as many open "
                   "files (the soft `ulimit -n` is raised, or the limit lowered with a warning).")
@click.option("--channel-timeout", default=DEFAULT_CHANNEL_TIMEOUT, show_default=True,
              type=click.IntRange(1, 3600),
              help="Seconds a connection may stay idle (no bytes in or out, no request running) before it "
                   "is closed; bounds how long slow or stalled clients hold connections.")
@click.option("--secure-cookies", is_flag=True,
              help="Send the login cookie only over HTTPS (set this behind an HTTPS reverse proxy).")
@needs("app")
def serve(study, host, port, threads, images_only, connection_limit, channel_timeout, secure_cookies):
    """Serve the annotation app of STUDY with waitress until Ctrl-C.

    Coders and evaluators open their personal links (`semclust people add`,
    which builds them from the same `serve:` setting of study.yaml);
    the admin opens phases and exports at /admin. Every answer is committed to
    STUDY/annotations.sqlite before the browser is told it was saved. Anything
    beyond loopback belongs behind an HTTPS reverse proxy (docs/annotation.md).

    \b
    Example:
      semclust serve --study studies/demo
      semclust serve --study studies/demo --port 8081 --images-only
    """
    import logging

    from waitress.server import create_server

    from semclust.annotate.app import create_app
    from semclust.annotate.db import check_database, database_error
    from semclust.annotate.serving import serve_settings
    settings = serve_settings(study, host, port)
    host, port = settings["host"], settings["port"]
    check_database(study.annotations_db)
    config = {"STUDY": study.root, **({"SESSION_COOKIE_SECURE": True} if secure_cookies else {})}
    try:
        app = create_app(config, images_only=images_only)
    except sqlite3.DatabaseError as exc:
        raise database_error(study.annotations_db, exc) from exc
    connection_limit, warning = fd_budget(connection_limit, threads)
    if warning:
        click.echo(warning, err=True)
    logging.basicConfig()  # waitress reports overload and errors through logging, as waitress.serve does
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="semclust",
                               # refuse big bodies while reading them, not after spooling them to disk
                               max_request_body_size=app.config["MAX_CONTENT_LENGTH"],
                               connection_limit=connection_limit, channel_timeout=channel_timeout,
                               # idle connections are looked for this often (waitress: every 30 s)
                               cleanup_interval=max(1, min(30, channel_timeout // 3)),
                               asyncore_use_poll=True)  # select() fails beyond descriptor 1023
    except OSError as exc:
        raise bind_error(host, port, exc) from exc
    except ValueError as exc:  # waitress: a host that does not resolve ("Invalid host/port specified.")
        raise UserError(f"cannot serve on {host}:{port}: {host} is not an IP address or a name this machine "
                        "can resolve; use --host 127.0.0.1 or one of this machine's addresses") from exc
    if host not in LOOPBACK and not _is_loopback(host):
        click.echo(f"warning: binding {host}: the app is reachable from other machines "
                   "(put an HTTPS reverse proxy in front: docs/annotation.md)", err=True)
    what = "images only (no login)" if images_only else "annotation app"
    bound = getattr(server, "effective_port", port)  # the real port when --port 0; several sockets: as asked
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"serving {what} of {app.config['STUDY']} on http://{shown}:{bound}/ (Ctrl-C to stop)")
    if not images_only and not app.config["SESSION_COOKIE_SECURE"]:
        click.echo(f"note: browsers send this app's login cookie to every service on {host}, whatever its "
                   "port, and any of them can set one: serve the study under its own host name (or HTTPS "
                   "with --secure-cookies); docs/annotation.md, Security model", err=True)
    server.run()


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


commands = [serve]
