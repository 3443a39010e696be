"""The controller's command line: ``datadesk [options] COMMAND [options]``.

Global options (``--config``, ``--log-level``) may stand before or after
the command. Times in tables follow ``timefmt``: the desk's zone, ISO 8601.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from . import logs
from .settings import Settings, SettingsError, load_settings
from .tables import phrase, table

DESCRIPTION = """\
The data desk controller and its operator commands.

Settings come from a TOML file (--config, else $DATADESK_CONFIG); secrets are
better given by DATADESK_AMI_SECRET, DATADESK_ARI_PASSWORD, DATADESK_REDIS_URL
and DATADESK_API_TOKENS. Times are shown in the desk's time zone, ISO 8601."""

EPILOG = """\
exit status:
  0  done (check-config: no problem found; wait-ready: ready)
  1  check-config found problems, the controller refused the request, or
     wait-ready timed out
  2  bad usage or bad settings
  3  the controller is not reachable"""

# Where an installed controller's files live (the image, the systemd unit).
ETC_CONFIG = "/etc/datadesk/datadesk.toml"
ETC_ASTERISK = "/etc/asterisk"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def _settings(args: argparse.Namespace) -> Settings:
    path = args.config or os.environ.get("DATADESK_CONFIG")
    try:
        return load_settings(Path(path) if path else None)
    except SettingsError as exc:
        print(f"datadesk: bad settings: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def cmd_run(args: argparse.Namespace) -> int:
    from .serve import run

    settings = _settings(args)
    logs.setup(args.log_level, json_lines=not args.plain_logs)
    return run(settings, args.config or os.environ.get("DATADESK_CONFIG"))


def _api(settings: Settings, method: str, path: str) -> tuple[int, dict]:
    """One call to the running controller's API (URL and token from settings)."""
    import json
    import urllib.error
    import urllib.request

    token = os.environ.get("DATADESK_API_TOKEN") or next(iter(settings.http.tokens), "")
    host = "127.0.0.1" if settings.http.host in ("0.0.0.0", "") else settings.http.host
    request = urllib.request.Request(f"http://{host}:{settings.http.port}{path}", method=method,
                                     headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except OSError as exc:
        print(f"datadesk: controller not reachable at {host}:{settings.http.port}: {exc}",
              file=sys.stderr)
        raise SystemExit(3) from exc


def _table(rows: list[dict], columns: list[str], zone: ZoneInfo, lang: str = "en") -> str:
    return table(rows, columns, zone, lang)


def _lang(args: argparse.Namespace, settings: Settings) -> str:
    """The tables' language: --lang, else [desk] screen_language."""
    return getattr(args, "lang", None) or settings.desk.screen_language


def _print(args: argparse.Namespace, status: int, body: dict, render) -> int:
    import json
    if args.json or status >= 400:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(render(body))
    return 0 if status < 400 else 1


def cmd_seats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    zone = ZoneInfo(settings.calendar.timezone)
    lang = _lang(args, settings)
    status, body = _api(settings, "GET", "/api/seats")
    return _print(args, status, body, lambda b: (
        f"{phrase('desk', lang)} {phrase(b['desk'], lang)} "
        f"({phrase('open' if b['open'] else 'closed', lang)}); {phrase('board', lang)} "
        f"{phrase('in sync' if b['synced'] else 'STALE', lang)}\n" + _table(
            b["seats"], ["agent_id", "activity", "registered", "in_queue", "paused_reason",
                         "state"], zone, lang)))


def cmd_callbacks(args: argparse.Namespace) -> int:
    settings = _settings(args)
    zone, lang = ZoneInfo(settings.calendar.timezone), _lang(args, settings)
    if args.action == "list":
        status, body = _api(settings, "GET", "/api/callbacks?limit=1000")
        return _print(args, status, body, lambda b: (
            f"{b['open']} {phrase('open callbacks', lang)}\n" + _table(
                b["callbacks"], ["id", "number", "topic", "status", "deadline", "attempts",
                                 "last_outcome"], zone, lang)))
    if not args.id:
        print("datadesk: callbacks show/cancel need an id", file=sys.stderr)
        return 2
    if args.action == "show":
        status, body = _api(settings, "GET", f"/api/callbacks/{args.id}")
        return _print(args, status, body, lambda b: _table([b["callback"]], [
            "id", "number", "topic", "status", "reason", "deadline", "attempts", "sla"], zone,
            lang) + "\n\n" + _table(b["history"], ["event", "at", "outcome", "status",
                                                     "reason"], zone, lang))
    status, body = _api(settings, "DELETE", f"/api/callbacks/{args.id}")
    return _print(args, status, body, lambda b: f"{b['callback']['id']} cancelled")


def cmd_check_config(args: argparse.Namespace) -> int:
    from .checkconfig import check, check_live

    # An installed controller's files, never the package's own directory.
    conf = Path(args.asterisk_conf or os.environ.get("DATADESK_ASTERISK_CONF") or ETC_ASTERISK)
    dialplan = Path(args.dialplan or os.environ.get("DATADESK_DIALPLAN") or conf / "dialplan")
    path = Path(args.config or os.environ.get("DATADESK_CONFIG") or ETC_CONFIG)
    try:
        settings = load_settings(path)
    except SettingsError as exc:
        print(f"settings: {exc}")
        return 1
    problems = check(conf, dialplan, settings, allow_public=args.allow_public,
                     allow_demo_secrets=args.allow_demo_secrets)
    if args.live:
        secret = os.environ.get("DATADESK_ADMIN_AMI_SECRET", "")
        problems += check_live(settings.ami.host, args.ami_port or settings.ami.port,
                               args.ami_user, secret, settings)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {conf} + {dialplan} agree with {path}"
              + (" (and Asterisk reloaded them)" if args.live else ""))
    return 1 if problems else 0


def cmd_wait_ready(args: argparse.Namespace) -> int:
    """Poll the controller's /readyz until it answers 200 (a service
    manager's readiness check): 0 when ready, 1 at the timeout."""
    import time
    import urllib.error
    import urllib.request

    settings = _settings(args)
    host = "127.0.0.1" if settings.http.host in ("0.0.0.0", "") else settings.http.host
    url = f"http://{host}:{settings.http.port}/readyz"
    deadline = time.monotonic() + args.timeout
    last = "no answer"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    print(f"ready: {url}")
                    return 0
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as exc:
            last = f"HTTP {exc.code}"
        except OSError as exc:
            last = str(exc)
        if time.monotonic() >= deadline:
            print(f"datadesk: not ready after {args.timeout:g} s at {url}: {last}",
                  file=sys.stderr)
            return 1
        time.sleep(0.5)


def _log_level(value: str) -> str:
    level = value.upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a log level ({', '.join(l.lower() for l in LOG_LEVELS)})")
    return level


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("datadesk")
    except PackageNotFoundError:
        from . import __version__
        return __version__


def _global_options(parser: argparse.ArgumentParser, default) -> None:
    """Options valid before and after the command; after it, defaults are
    suppressed so that they do not overwrite a value given before it."""
    parser.add_argument("--config", metavar="FILE", default=default,
                        help="settings file (TOML); default $DATADESK_CONFIG, then built-in "
                             f"defaults (check-config: {ETC_CONFIG})")
    parser.add_argument("--log-level", metavar="LEVEL", type=_log_level, default=default,
                        help="debug, info, warning, error or critical (any case); "
                             "default info for run, warning for the others")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="datadesk", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    _global_options(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=text, description=text, epilog=EPILOG,
                              parents=[common],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    run = command("run", "run the controller")
    run.add_argument("--plain-logs", action="store_true",
                     help="human-readable log lines instead of JSON ones")
    run.set_defaults(func=cmd_run)
    seats = command("seats", "show the live board of the desk")
    seats.add_argument("--json", action="store_true", help="print the API's JSON, not a table")
    seats.add_argument("--lang", choices=["zh", "en"],
                       help="the table's language (default: [desk] screen_language)")
    seats.set_defaults(func=cmd_seats)
    cbs = command("callbacks", "list, show or cancel callbacks")
    cbs.add_argument("action", choices=["list", "show", "cancel"],
                     help="list the open callbacks, or show or cancel one")
    cbs.add_argument("id", nargs="?", help="the callback's id (show, cancel), e.g. cb12")
    cbs.add_argument("--json", action="store_true", help="print the API's JSON, not a table")
    cbs.add_argument("--lang", choices=["zh", "en"],
                     help="the tables' language (default: [desk] screen_language)")
    cbs.set_defaults(func=cmd_callbacks)
    chk = command("check-config", "check that the Asterisk configs, the dialplan and the "
                                  "settings agree")
    chk.add_argument("--asterisk-conf", metavar="DIR",
                     help=f"Asterisk's configuration directory; default "
                          f"$DATADESK_ASTERISK_CONF, then {ETC_ASTERISK}")
    chk.add_argument("--dialplan", metavar="DIR",
                     help="the dialplan files; default $DATADESK_DIALPLAN, then "
                          "<asterisk-conf>/dialplan")
    chk.add_argument("--allow-public", action="store_true",
                     help="accept AMI/ARI/HTTP bound beyond loopback")
    chk.add_argument("--allow-demo-secrets", action="store_true",
                     help="accept the shipped demo secrets (demo-..., change-me): for a lab "
                          "only; empty secrets and no API token are refused all the same")
    chk.add_argument("--live", action="store_true",
                     help="reload a running Asterisk and read the desk back over AMI "
                          "(admin user; secret in DATADESK_ADMIN_AMI_SECRET)")
    chk.add_argument("--ami-user", default="admin",
                     help="the AMI user for --live (needs write=command,system); default admin")
    chk.add_argument("--ami-port", type=int, metavar="PORT",
                     help="the AMI port for --live; default the settings' [ami] port")
    chk.set_defaults(func=cmd_check_config)
    wait = command("wait-ready", "wait until the running controller's /readyz answers 200")
    wait.add_argument("--timeout", type=float, default=60, metavar="SECONDS",
                      help="give up (exit 1) after this many seconds; default 60")
    wait.set_defaults(func=cmd_wait_ready)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        args.log_level = args.log_level or "INFO"
    else:
        logging.basicConfig(level=args.log_level or "WARNING")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
