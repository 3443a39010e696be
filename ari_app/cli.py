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
    from aiohttp import web

    from .app import init_app

    settings = _settings(args)
    logs.setup(args.log_level, json_lines=not args.plain_logs)
    web.run_app(init_app(settings), host=settings.http.host, port=settings.http.port,
                print=None, access_log=None, shutdown_timeout=5)
    return 0


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
    demo = sub.add_parser("demo", help="bring up the lab stack and play the demo scenario")
    demo.add_argument("--keep", action="store_true", help="keep the stack up at the end")
    demo.set_defaults(func=cmd_demo)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
