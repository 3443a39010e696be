"""One progress line per step of long work, with the elapsed time."""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from collections.abc import Iterator


@contextmanager
def step(what: str) -> Iterator[None]:
    """Print ``what ...`` and, when the block ends, how long it took."""
    started = time.monotonic()
    print(f"[lab] {what} ...", file=sys.stderr, flush=True)
    try:
        yield
    except BaseException:
        print(f"[lab] {what}: failed after {time.monotonic() - started:.1f} s",
              file=sys.stderr, flush=True)
        raise
    print(f"[lab] {what}: done in {time.monotonic() - started:.1f} s",
          file=sys.stderr, flush=True)
