"""Where the app of a study is served: one setting read by `semclust serve` and `semclust people`.

``study.yaml`` may hold::

    serve:
      host: 127.0.0.1        # interface `semclust serve` binds (default 127.0.0.1)
      port: 8080             # its port (default 5000)
      base_url: https://annotate.example.org   # the address people open (default http://HOST:PORT)

``base_url`` is needed behind a reverse proxy, where people open another address
than the one the server binds. Command-line options override the file.
"""
from __future__ import annotations

from semclust.study import Study, UserError
from semclust.yamlfile import brief

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 5000


def serve_settings(study: Study, host: str | None = None, port: int | None = None,
                   base_url: str | None = None) -> dict:
    """{host, port, base_url}: the arguments given, else ``study.yaml``'s ``serve:``, else the defaults."""
    config = study.config.get("serve") or {}
    if not isinstance(config, dict):
        raise UserError(f"{study.config_path}: serve must be a mapping (host, port, base_url)")
    host = host or str(config.get("host") or DEFAULT_HOST)
    if port is None:
        port = config.get("port", DEFAULT_PORT)
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise UserError(f"{study.config_path}: serve: port must be a number from 0 to 65535 "
                            f"(got {brief(port)})")
    if base_url is None:
        base_url = config.get("base_url")
    if base_url is None:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else (f"[{host}]" if ":" in host else host)
        base_url = f"http://{shown}:{port}"
    if not str(base_url).startswith(("http://", "https://")):
        raise UserError(f"base_url must start with http:// or https:// (got {brief(base_url)})")
    return {"host": host, "port": port, "base_url": str(base_url).rstrip("/")}
