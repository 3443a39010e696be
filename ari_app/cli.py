"""``datadesk``: the controller's command line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from pathlib import Path

from . import logs
from .settings import SettingsError, load_settings


def _settings(args: argparse.Namespace):
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


def _api(args: argparse.Namespace, method: str, path: str) -> tuple[int, dict]:
    """One call to the running controller's API (URL and token from settings)."""
    import json
    import urllib.error
    import urllib.request

    settings = _settings(args)
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


def _table(rows: list[dict], columns: list[str]) -> str:
    widths = {c: max([len(c)] + [len(str(r.get(c, ""))) for r in rows]) for c in columns}
    out = ["  ".join(c.upper().ljust(widths[c]) for c in columns)]
    out += ["  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns) for r in rows]
    return "\n".join(out)


def _print(args: argparse.Namespace, status: int, body: dict, render) -> int:
    import json
    if args.json or status >= 400:
        print(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        print(render(body))
    return 0 if status < 400 else 1


def cmd_seats(args: argparse.Namespace) -> int:
    status, body = _api(args, "GET", "/api/seats")
    return _print(args, status, body, lambda b: (
        f"desk {b['desk']} ({'open' if b['open'] else 'closed'}); board "
        f"{'in sync' if b['synced'] else 'STALE'}\n" + _table(
            b["seats"], ["agent_id", "activity", "registered", "in_queue", "paused_reason",
                         "state"])))


def cmd_callbacks(args: argparse.Namespace) -> int:
    if args.action == "list":
        status, body = _api(args, "GET", "/api/callbacks?limit=1000")
        return _print(args, status, body, lambda b: f"{b['open']} open\n" + _table(
            b["callbacks"], ["id", "number", "topic", "status", "deadline", "attempts",
                             "last_outcome"]))
    if not args.id:
        print("datadesk: callbacks show/cancel need an id", file=sys.stderr)
        return 2
    if args.action == "show":
        status, body = _api(args, "GET", f"/api/callbacks/{args.id}")
        return _print(args, status, body, lambda b: _table([b["callback"]], [
            "id", "number", "topic", "status", "reason", "deadline", "attempts", "sla"])
            + "\n\n" + _table(b["history"], ["event", "at", "outcome", "status", "reason"]))
    status, body = _api(args, "DELETE", f"/api/callbacks/{args.id}")
    return _print(args, status, body, lambda b: f"{b['callback']['id']} cancelled")


def cmd_check_config(args: argparse.Namespace) -> int:
    from .checkconfig import check, check_live

    root = Path(__file__).resolve().parents[1]
    conf = Path(args.asterisk_conf or root / "asterisk-conf")
    dialplan = Path(args.dialplan or root / "dialplan")
    path = args.config or os.environ.get("DATADESK_CONFIG")
    try:
        settings = load_settings(Path(path) if path else None)
    except SettingsError as exc:
        print(f"settings: {exc}")
        return 1
    problems = check(conf, dialplan, settings, allow_public=args.allow_public)
    if args.live:
        secret = os.environ.get("DATADESK_ADMIN_AMI_SECRET", "")
        problems += check_live(settings.ami.host, args.ami_port or settings.ami.port,
                               args.ami_user, secret, settings)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"ok: {conf} + {dialplan} agree with the settings"
              + (" (and Asterisk reloaded them)" if args.live else ""))
    return 1 if problems else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .lab.demo import main as demo_main

    return asyncio.run(demo_main(keep=args.keep))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="datadesk", description=__doc__)
    parser.add_argument("--config", help="settings file (TOML); default $DATADESK_CONFIG")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the controller")
    run.add_argument("--log-level", default="INFO")
    run.add_argument("--plain-logs", action="store_true", help="human-readable logs, not JSON")
    run.set_defaults(func=cmd_run)
    seats = sub.add_parser("seats", help="the live board of the desk")
    seats.add_argument("--json", action="store_true")
    seats.set_defaults(func=cmd_seats)
    cbs = sub.add_parser("callbacks", help="list, show or cancel callbacks")
    cbs.add_argument("action", choices=["list", "show", "cancel"])
    cbs.add_argument("id", nargs="?")
    cbs.add_argument("--json", action="store_true")
    cbs.set_defaults(func=cmd_callbacks)
    chk = sub.add_parser("check-config", help="check asterisk-conf/, dialplan/ and settings")
    chk.add_argument("--asterisk-conf", help="default: the shipped asterisk-conf/")
    chk.add_argument("--dialplan", help="default: the shipped dialplan/")
    chk.add_argument("--allow-public", action="store_true",
                     help="accept AMI/ARI/HTTP bound beyond loopback")
    chk.add_argument("--live", action="store_true",
                     help="reload a running Asterisk and read the desk back over AMI "
                          "(admin user; secret in DATADESK_ADMIN_AMI_SECRET)")
    chk.add_argument("--ami-user", default="admin")
    chk.add_argument("--ami-port", type=int)
    chk.set_defaults(func=cmd_check_config)
    demo = sub.add_parser("demo", help="bring up the lab stack and play the demo scenario")
    demo.add_argument("--keep", action="store_true", help="keep the stack up at the end")
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
