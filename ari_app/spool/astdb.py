"""The spool in Asterisk's database, read and acknowledged over AMI.

The controller's AMI user writes ``originate,reporting`` only. Reading is
``DBGetTree`` (reporting). Deleting by ``DBDel`` needs the ``system`` write
class (refused with "Permission denied" on Asterisk 22), which would also
allow ``DBPut`` anywhere in AstDB, so the controller does not get it.
Instead an entry is acknowledged by an Originate of
``Local/<key>@desk-spool-ack``: that context deletes exactly that key of the
spool family, and only a digits-only key. The acknowledgement is then
checked by reading the key back: the entry counts as removed only when
Asterisk no longer has it.
"""

from __future__ import annotations

import asyncio
import logging

from ..ports import AmiDisconnected, AmiError, AmiPort
from .entry import FAMILY, KEY_LENGTH, key_of

log = logging.getLogger(__name__)

ACK_CONTEXT = "desk-spool-ack"


class AstDbSpool:
    def __init__(self, ami: AmiPort) -> None:
        self.ami = ami

    async def entries(self) -> dict[str, str]:
        """Every spool entry, key -> value (empty when the family is).

        Raises ``AmiDisconnected``/``asyncio.TimeoutError`` when AMI is away."""
        rows = await self.ami.rows({"Action": "DBGetTree", "Family": FAMILY})
        return {key_of(r.get("Key", "")): r.get("Val", "") for r in rows
                if r.get("Event") == "DBGetTreeResponse"}

    async def has(self, key: str) -> bool:
        rows = await self.ami.rows({"Action": "DBGet", "Family": FAMILY, "Key": key})
        return any(r.get("Event") == "DBGetResponse" for r in rows)

    async def remove(self, key: str) -> bool:
        """Delete one imported entry; True when Asterisk no longer has it."""
        if not (key.isascii() and key.isdigit()) or len(key) > KEY_LENGTH:
            return False
        try:
            # The Local channel runs the deletion and hangs up without
            # answering, so Asterisk answers "Originate failed": expected.
            await self.ami.send({"Action": "Originate", "Async": "false",
                                 "Channel": f"Local/{key}@{ACK_CONTEXT}/n",
                                 "Application": "Wait", "Data": "0", "Timeout": "5000"},
                                timeout=10)
            return not await self.has(key)
        except (AmiDisconnected, AmiError, asyncio.TimeoutError) as exc:
            log.warning("spool entry %s imported but not removed yet (%s); removal is "
                        "tried again at the next import", key, exc)
            return False
