"""``datadesk check-config``: do the Asterisk configs, the dialplan and the settings agree?

One line per problem, ``where: what``; exit status 1 if there is any. It
checks the files an installed controller runs with (``/etc/asterisk``,
``/etc/datadesk/datadesk.toml`` unless told otherwise), every queue, context
and extension the dialplan refers to, that the dialplan reads its globals
with ``GLOBAL()``, that every sound it plays is in every language's prompt
set, that no secret is empty or a shipped demo value (the phones' SIP
passwords too), that the controller's AMI and ARI secrets are those of the
users Asterisk has for it, and that the TLS certificate and key exist. With ``--live`` it also asks a running Asterisk to
reload the configuration and reads it back over AMI, so syntax errors are
Asterisk's own.
"""

from __future__ import annotations

from pathlib import Path

from ..asterisk.conffile import ConfigFile
from ..settings import Settings
from .desk import _dialplan, _extensions, dialplan_problems, queue_problems, seat_problems
from .live import check_live
from .logins import NOTE, demo_sip_passwords, login_problems, tls_file_problems
from .nodes import node_problems
from .numbers import number_shape_problems
from .prompts import prompt_problems
from .pauses import pause_reason_problems
from .security import (ami_problems, check_secrets, http_problems, sip_acl_problems,
                       tls_problems)
from .shadowing import shadowed_globals

__all__ = ["check", "check_live", "tls_problems", "NOTE"]


def check(conf_dir: Path, dialplan_dir: Path, settings: Settings, *,
          allow_public: bool = False, allow_demo_secrets: bool = False,
          pbx_root: Path = Path("/")) -> list[str]:
    """Every disagreement found, one ``where: what`` line each (empty: all
    agree); lines starting ``note: `` say what could not be checked here.
    ``pbx_root``: the PBX host's ``/`` as seen from here (its TLS files)."""
    problems: list[str] = []
    etc = conf_dir
    pjsip = ConfigFile(etc / "pjsip.conf", etc)
    queues = ConfigFile(etc / "queues.conf", etc)
    manager = ConfigFile(etc / "manager.conf", etc)
    http = ConfigFile(etc / "http.conf", etc)
    ari = ConfigFile(etc / "ari.conf", etc)
    # The dialplan is included by extensions.conf as <etc>/dialplan/*.conf.
    extensions = _dialplan(etc, dialplan_dir)
    if not etc.is_dir():
        return [f"{etc}: no such directory (give --asterisk-conf or DATADESK_ASTERISK_CONF)"]
    for conf in (pjsip, queues, manager, http, ari, extensions):
        if not conf.path.exists():
            problems.append(f"{conf.path}: missing")
        problems += conf.missing_includes
    if problems:
        return problems  # every further check would only repeat these

    problems += tls_problems(pjsip)
    problems += sip_acl_problems(pjsip)
    problems += node_problems(pjsip, _extensions(extensions), settings.desk.lamp_device)

    problems += seat_problems(pjsip, extensions, settings)
    problems += queue_problems(queues, settings)
    problems += dialplan_problems(extensions, queues, settings)
    problems += number_shape_problems(extensions, settings)
    problems += pause_reason_problems(extensions, settings)
    problems += shadowed_globals(extensions)
    problems += prompt_problems(extensions, queues)
    problems += ami_problems(manager, settings, allow_public=allow_public)
    problems += http_problems(http, ari, settings, allow_public=allow_public)
    problems += check_secrets(settings, manager, ari, allow_demo=allow_demo_secrets)
    problems += login_problems(settings, manager, ari)
    problems += demo_sip_passwords(pjsip, allow_demo=allow_demo_secrets)
    problems += tls_file_problems(pjsip, pbx_root)
    return problems
