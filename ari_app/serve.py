"""``datadesk run``: check and bind what can fail here first, then serve.

Order matters to an operator: a port already taken or a bad settings file is
reported in one line (and a non-zero exit) before Redis, AMI or ARI are
contacted; then one banner line says what runs, from which file, where it
listens and what it talks to (never a secret).
"""

from __future__ import annotations

import logging
import socket
import sys
from urllib.parse import urlsplit

from aiohttp import web

from . import __version__
from .logs import numbers_line
from .roles import deprecations
from .settings import Settings

log = logging.getLogger("ari_app")

EXIT_UNUSABLE = 2  # as for a settings file that cannot be used


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (raises OSError if taken)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


def without_secret(url: str) -> str:
    """``url`` with any user:password part removed."""
    parts = urlsplit(url)
    if not parts.password and not parts.username:
        return url
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return parts._replace(netloc=netloc).geturl()


def redis_target(settings: Settings) -> str:
    """Where the controller finds Redis: the URL, or the master's name and sentinels."""
    r = settings.redis
    if r.sentinels:
        return f"master {r.master_name!r} of sentinels {','.join(r.sentinels)} " \
               f"(writes wait for {r.wait_replicas} replica(s))"
    return without_secret(r.url)


def banner(settings: Settings, config: str | None, sock: socket.socket) -> str:
    """The one line said at start: version, settings file, address, targets."""
    host, port = sock.getsockname()[:2]
    return (f"datadesk {__version__} starting: settings {config or '(defaults and environment)'}; "
            f"HTTP on {host}:{port}; AMI {settings.ami.username}@{settings.ami.host}:"
            f"{settings.ami.port}; ARI {settings.ari.username}@{without_secret(settings.ari.url)}"
            f" app {settings.ari.app}; Redis {redis_target(settings)}"
            + (f" as {settings.redis.username}" if settings.redis.username else ""))


def run(settings: Settings, config: str | None) -> int:
    """Serve until SIGINT/SIGTERM; the exit code (EXIT_UNUSABLE, after one line
    on stderr, if the settings cannot be used or the port is taken)."""
    from .app import init_app

    try:  # builds clients from the settings: a malformed URL fails here
        app = init_app(settings)
    except ValueError as exc:
        print(f"datadesk: cannot use the settings ({config or 'defaults'}): {exc}",
              file=sys.stderr)
        return EXIT_UNUSABLE
    host, port = settings.http.host, settings.http.port
    try:
        sock = listen(host, port)
    except OSError as exc:
        print(f"datadesk: cannot listen on {host}:{port} ({exc.strerror or exc}): check "
              "[http] host and port, or stop what already listens there", file=sys.stderr)
        return EXIT_UNUSABLE
    log.info("%s", banner(settings, config, sock))
    log.info("%s", numbers_line(settings.logs.full_numbers))
    for old in deprecations(settings.http.tokens, settings.http.supervisor_tokens):
        log.warning("settings: %s", old)
    web.run_app(app, sock=sock, print=None, access_log=None, shutdown_timeout=5)
    log.info("datadesk stopped")
    return 0
