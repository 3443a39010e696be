"""``datadesk check-config``: its options and what it runs.

It reads an installed controller's files (``/etc/asterisk``,
``/etc/datadesk/datadesk.toml``), or those the options or the environment
name, never the package's own directory.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..roles import deprecations
from ..settings import SettingsError, load_settings
from . import NOTE, check
from .live import check_live

ETC_CONFIG = "/etc/datadesk/datadesk.toml"
ETC_ASTERISK = "/etc/asterisk"


def cmd_check_config(args: argparse.Namespace) -> int:
    # An installed controller's files, never the package's own directory.
    conf = Path(args.asterisk_conf or os.environ.get("DATADESK_ASTERISK_CONF") or ETC_ASTERISK)
    dialplan = Path(args.dialplan or os.environ.get("DATADESK_DIALPLAN") or conf / "dialplan")
    path = Path(args.config or os.environ.get("DATADESK_CONFIG") or ETC_CONFIG)
    try:
        settings = load_settings(path)
    except SettingsError as exc:
        print(f"settings: {exc}")
        return 1
    found = check(conf, dialplan, settings, allow_public=args.allow_public,
                  allow_demo_secrets=args.allow_demo_secrets, pbx_root=Path(args.pbx_root))
    if args.live:
        secret = os.environ.get("DATADESK_ADMIN_AMI_SECRET", "")
        found += check_live(settings.ami.host, args.ami_port or settings.ami.port,
                            args.ami_user, secret, settings, conf)
    problems = [line for line in found if not line.startswith(NOTE)]
    for problem in problems:
        print(problem)
    for old in deprecations(settings.http.tokens, settings.http.supervisor_tokens):
        print(f"warning: settings {old}")
    if not problems:
        print(f"ok: {conf} + {dialplan} agree with {path}"
              + (" (and the running Asterisk agrees)" if args.live else ""))
    for note in found:
        if note.startswith(NOTE):
            print(note)
    return 1 if problems else 0


def add_check_config(command) -> None:
    """The options of ``check-config`` (``command`` adds a subcommand)."""
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
    chk.add_argument("--pbx-root", metavar="DIR", default="/",
                     help="the PBX host's / as seen from here, where the TLS certificate "
                          "and key are looked for; default /")
    chk.add_argument("--live", action="store_true",
                     help="try the controller's own AMI and ARI logins, reload in a running "
                          "Asterisk what changed since its last reload and read the desk "
                          "back over AMI (admin user; secret in DATADESK_ADMIN_AMI_SECRET)")
    chk.add_argument("--ami-user", default="admin",
                     help="the AMI user for --live (needs write=command,system); default admin")
    chk.add_argument("--ami-port", type=int, metavar="PORT",
                     help="the AMI port for --live; default the settings' [ami] port")
    chk.set_defaults(func=cmd_check_config)
