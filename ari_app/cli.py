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
from .cli_api import EXIT_UNREACHABLE, call as _api
from .roles import Permission
from .settings import Settings, SettingsError, load_settings
from .checkconfig.command import ETC_ASTERISK, ETC_CONFIG, add_check_config
from .desk.sizing import SEAT_RANGE
from .tables import desk_word, phrase, table

DESCRIPTION = """\
The data desk controller and its operator commands.

Settings come from a TOML file (--config, else $DATADESK_CONFIG); secrets are
better given by DATADESK_AMI_SECRET, DATADESK_ARI_PASSWORD, DATADESK_REDIS_URL
and DATADESK_API_TOKENS (ROLE:TOKEN, comma-separated). The commands that ask
the running controller use DATADESK_API_TOKEN, else the first configured
token whose role may. Times are shown in the desk's time zone, ISO 8601."""

EPILOG = """\
exit status:
  0  done (check-config: no problem found; wait-ready: ready)
  1  check-config found problems, the controller refused the request, or
     wait-ready timed out
  2  bad usage or bad settings
  3  the controller is not reachable
  4  the controller cannot serve the request now (503: its store, Redis, is
     unavailable); try again shortly"""

EXIT_REFUSED, EXIT_UNAVAILABLE = 1, 4
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
    logs.setup(args.log_level, json_lines=not args.plain_logs,
               full_numbers=settings.logs.full_numbers)
    return run(settings, args.config or os.environ.get("DATADESK_CONFIG"))


def _table(rows: list[dict], columns: list[str], zone: ZoneInfo, lang: str = "en") -> str:
    return table(rows, columns, zone, lang)


def _lang(args: argparse.Namespace, settings: Settings) -> str:
    """The tables' language: --lang, else [desk] screen_language."""
    return getattr(args, "lang", None) or settings.desk.screen_language


def _print(args: argparse.Namespace, status: int, body: dict, render) -> int:
    """Print an answer (``--json``: as is); a refusal is one line on stderr
    (``--json``: its body on stdout too) with its exit status."""
    import json
    not_json = body.pop("_not_json", False)
    if status < 400 and not not_json:
        print(json.dumps(body, ensure_ascii=False, indent=2) if args.json else render(body))
        return 0
    if args.json:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    print(f"datadesk: the controller answered {status}: {body.get('error', 'no reason given')}",
          file=sys.stderr)
    return EXIT_UNAVAILABLE if status == 503 else EXIT_REFUSED


def cmd_seats(args: argparse.Namespace) -> int:
    settings = _settings(args)
    zone = ZoneInfo(settings.calendar.timezone)
    lang = _lang(args, settings)
    status, body = _api(settings, "GET", "/api/seats", Permission.SEATS)
    names = {code: pair[0 if lang == "zh" else 1]
             for code, pair in settings.desk.pause_reasons.items()}

    def shown(seats: list[dict]) -> list[dict]:  # pause reasons by their names
        return [{**s, "paused_reason": names.get(s["paused_reason"], s["paused_reason"])}
                for s in seats]
    return _print(args, status, body, lambda b: (
        f"{phrase('desk', lang)} {phrase(desk_word(b['desk']), lang)} "
        f"({phrase('open' if b['open'] else 'closed', lang)}); {phrase('board', lang)} "
        f"{phrase('in sync' if b['synced'] else 'STALE', lang)}\n" + _table(
            shown(b["seats"]), ["agent_id", "activity", "registered", "in_queue",
                                "paused_reason", "state"], zone, lang)))


def cmd_callbacks(args: argparse.Namespace) -> int:
    settings = _settings(args)
    zone, lang = ZoneInfo(settings.calendar.timezone), _lang(args, settings)
    if args.action == "list":
        status, body = _api(settings, "GET", "/api/callbacks?limit=1000", Permission.CALLBACKS)
        return _print(args, status, body, lambda b: (
            f"{b['open']} {phrase('open callbacks', lang)}\n" + _table(
                b["callbacks"], ["id", "number", "topic", "status", "deadline", "attempts",
                                 "last_outcome"], zone, lang)))
    if not args.id:
        print("datadesk: callbacks show/cancel need an id", file=sys.stderr)
        return 2
    if args.action == "show":
        status, body = _api(settings, "GET", f"/api/callbacks/{args.id}", Permission.CALLBACKS)
        return _print(args, status, body, lambda b: _table([b["callback"]], [
            "id", "number", "topic", "status", "reason", "deadline", "attempts", "sla"], zone,
            lang) + "\n\n" + _table(b["history"], ["event", "at", "outcome", "status",
                                                     "reason"], zone, lang))
    status, body = _api(settings, "DELETE", f"/api/callbacks/{args.id}", Permission.CALLBACKS)
    return _print(args, status, body, lambda b: f"{b['callback']['id']} cancelled")


def cmd_report(args: argparse.Namespace) -> int:
    from .tables import terminal_width
    from .web.reports_data import text_heads, to_csv, to_text
    settings = _settings(args)
    lang = _lang(args, settings)
    status, body = _api(settings, "GET", f"/api/reports?days={args.days}", Permission.REPORTS)
    return _print(args, status, body, (lambda b: to_csv(b).rstrip()) if args.csv else (
        lambda b: to_text(b, text_heads(b, lang, settings.desk.pause_reasons),
                          terminal_width)))
def cmd_sizing(args: argparse.Namespace) -> int:
    from .sizing_report import run
    settings = _settings(args)
    return run(settings, days=args.days, simulate=args.simulate, as_json=args.json,
               profile=args.profile, seats=args.seats, lang=_lang(args, settings))


def _seat_counts(value: str) -> tuple[int, ...]:
    """``6`` or ``4,6,8``: seat counts from 1 to 50."""
    try:
        counts = tuple(int(v) for v in value.split(","))
    except ValueError:
        counts = ()
    if not counts or not all(1 <= c <= 50 for c in counts):
        raise argparse.ArgumentTypeError(f"{value!r} is not a list of seat counts (1 to 50), "
                                         "e.g. 6 or 4,6,8")
    return counts


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
    rep = command("report", "the desk's figures per day over the last days, and the total")
    rep.add_argument("--days", type=int, default=28, help="days back, today included; 28")
    rep.add_argument("--csv", action="store_true",
                     help="CSV, per day, total, per hour and per seat")
    rep.add_argument("--lang", choices=["zh", "en"],
                     help="the tables' language (default: [desk] screen_language)")
    rep.set_defaults(func=cmd_report, json=False)
    add_check_config(command)
    size = command("sizing", "measured arrivals, load and seats per hour (Erlang C, simulation)")
    size.add_argument("--days", type=int, default=7, help="whole days to read; default 7")
    size.add_argument("--simulate", action="store_true",
                      help="add the simulated SLA met %% per seat count (4..10 seats)")
    size.add_argument("--seats", type=_seat_counts, default=tuple(SEAT_RANGE),
                      metavar="N[,N...]", help="with --simulate: these seat counts only")
    size.add_argument("--profile", metavar="PATH",
                      help="size a profile saved with --json instead of Redis's figures")
    size.add_argument("--json", action="store_true",
                      help="JSON (--profile and bench/sla.py --profile read it)")
    size.add_argument("--lang", choices=["zh", "en"],
                      help="the table's language (default: [desk] screen_language)")
    size.set_defaults(func=cmd_sizing)
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
        # A person reads these lines: the command's name, not a logger's.
        logging.basicConfig(level=args.log_level or "WARNING", format="datadesk: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
