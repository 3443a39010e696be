"""Where the lab finds the checkout's files: one place, named explicitly.

The lab runs from a checkout (it is not installed with the controller), so
every path is relative to the checkout's root, the folder above this one.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ASTERISK_CONF = REPO / "asterisk-conf"
DIALPLAN = REPO / "dialplan"
PHONESIM = REPO / "tests" / "phonesim"
SIPP_SCENARIOS = REPO / "tests" / "sipp"
