"""check-config: the dialplan reads its ``[globals]`` with ``GLOBAL()``.

``${NAME}`` reads the channel's variable first and the global only when the
channel has none, so whatever sets a channel variable (an Originate's
``Variable`` header, an inherited ``__`` variable, a value copied from a SIP
header) could stand in for a value the desk trusts: the trunk a callback
leaves by (``DESK_OUT_TRUNK``), the numbers it may call
(``DESK_NUMBER_SHAPES``), the queue wait, the desk's language.
``${GLOBAL(NAME)}`` reads the global alone.
"""

from __future__ import annotations

import re

from ..asterisk.conffile import ConfigFile

# ${NAME} or ${NAME:offset}: a read that a channel variable can shadow.
_READ = re.compile(r"\$\{(\w+)(?=[}:])")


def shadowed_globals(extensions: ConfigFile) -> list[str]:
    """One line per dialplan read of a name ``[globals]`` sets that is not
    made through ``GLOBAL()``."""
    names = {key for section in extensions.named("globals") for key, _v, _n in section.options}
    problems = []
    for section in extensions.sections:
        if section.name in ("general", "globals"):
            continue
        for _key, value, line in section.options:
            for name in sorted(set(_READ.findall(value)) & names):
                problems.append(
                    f"{section.file}:{line}: ${{{name}}} reads the global {name} as a channel "
                    f"variable, which a channel variable of that name would shadow: read it as "
                    f"${{GLOBAL({name})}}")
    return problems
