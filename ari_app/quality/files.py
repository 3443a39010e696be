"""The recordings' files, read and deleted over ARI.

MixMonitor writes into ``<astspooldir>/recording/``, the directory ARI
serves as its stored recordings: ``GET /ari/recordings/stored/<name>/file``
returns a file's bytes (``audio/wav``; ARI ignores Range, so ranges are cut
here) and ``DELETE /ari/recordings/stored/<name>`` removes it (checked on
the lab's Asterisk 22: a MixMonitor file is listed, served and deleted).
So the controller needs no share with the PBX: on one host or two, ARI is
the only way to the files. Every name is checked (``names.checked``) before
it reaches a path.
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass

from ..ports import AriError, quote
from .names import checked

# A desk call of two hours in 8 kHz 16-bit WAV is 115 MB: nothing the desk
# records is larger; a bigger answer is not read.
MAX_BYTES = 128 * 1024 * 1024


class FileMissing(LookupError):
    """ARI has no stored recording of that name."""


class FileUnavailable(RuntimeError):
    """ARI did not answer (down, slow, or an error other than 404)."""


@dataclass(frozen=True)
class WavFacts:
    seconds: float
    closed: bool   # the header's data size matches the bytes: MixMonitor is done


def wav_facts(data: bytes) -> WavFacts:
    """Length and completeness of a PCM WAV file (``ValueError`` if not one)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    at, byte_rate, data_size, data_at = 12, 0, -1, 0
    while at + 8 <= len(data):
        chunk, size = data[at:at + 4], int.from_bytes(data[at + 4:at + 8], "little")
        if chunk == b"fmt " and size >= 16:
            byte_rate = int.from_bytes(data[at + 16:at + 20], "little")
        if chunk == b"data":
            data_size, data_at = size, at + 8
            break
        at += 8 + size + (size & 1)
    if byte_rate <= 0 or data_size < 0:
        raise ValueError("WAV file without format or data")
    present = len(data) - data_at
    return WavFacts(seconds=present / byte_rate, closed=data_size == present)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def digest(data: bytes) -> str:
    """``sha256`` in a worker thread: a two-hour call's 115 MB hold the CPU
    for about 0.1 s (more on a busy host), which the event loop (AMI, ARI,
    HTTP) must not wait for; hashlib lets go of the GIL while it hashes."""
    return await asyncio.to_thread(sha256, data)


class RecordingFiles:
    def __init__(self, ari) -> None:
        self.ari = ari

    def _path(self, name: str) -> str:
        return f"/recordings/stored/{quote(checked(name))}"

    async def read(self, name: str) -> bytes:
        """The file's bytes; ``FileMissing`` or ``FileUnavailable``."""
        try:
            return await self.ari.download(self._path(name) + "/file", limit=MAX_BYTES)
        except AriError as exc:
            if exc.status == 404:
                raise FileMissing(name) from exc
            raise FileUnavailable(str(exc)) from exc
        except (OSError, asyncio.TimeoutError) as exc:
            raise FileUnavailable(f"ARI: {exc!r}") from exc

    async def delete(self, name: str) -> bool:
        """Delete the file: True if deleted, False if it was not there."""
        try:
            await self.ari.request("DELETE", self._path(name))
            return True
        except AriError as exc:
            if exc.status == 404:
                return False
            raise FileUnavailable(str(exc)) from exc
        except (OSError, asyncio.TimeoutError) as exc:
            raise FileUnavailable(f"ARI: {exc!r}") from exc
