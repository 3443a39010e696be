"""Record real AMI traffic from a busy desk, for the ingestion benchmark.

Starts the lab stack (PBX, phone simulator, Redis, controller), logs in to
the PBX's AMI as the controller's own user (so the recording holds exactly
the event classes the controller receives) and keeps every byte Asterisk
sends while the mixed load runs: customer calls transferred to the desk,
seats talking, pausing and unpausing, callbacks asked and dialled, and now
and then a seat phone that drops its registration and registers again.

    .venv/bin/python -m bench.record_ami [--seconds 40] [--out bench/data/ami-busy-desk.txt.gz]

The file is the raw stream (banner, login answer, events), gzip-compressed.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import time
from pathlib import Path

from lab.load import MixedLoad
from lab.stack import SEATS, Stack

DEFAULT_OUT = Path(__file__).parent / "data" / "ami-busy-desk.txt.gz"


async def record(seconds: float, out: Path) -> None:
    async with Stack() as lab:
        reader, writer = await asyncio.open_connection("127.0.0.1", lab.ports.pbx_ami)
        writer.write(f"Action: Login\r\nUsername: datadesk\r\nSecret: {lab.keys.ami}\r\n"
                     "Events: on\r\n\r\n".encode())
        await writer.drain()
        chunks: list[bytes] = []

        async def keep() -> None:
            while data := await reader.read(65536):
                chunks.append(data)

        async def churn() -> None:  # registrations come and go (ContactStatus)
            while True:
                await asyncio.sleep(7)
                phone = f"phone-{load.rng.choice(SEATS)}"
                await lab.sim.rx(f"pjsip send unregister {phone}")
                await asyncio.sleep(1.5)
                await lab.sim.rx(f"pjsip send register {phone}")

        keeper = asyncio.create_task(keep())
        load = MixedLoad(lab, concurrent=20)
        await load.prepare()
        churner = asyncio.create_task(churn())
        started = time.monotonic()
        figures = await load.run(seconds)
        churner.cancel()
        await asyncio.gather(churner, return_exceptions=True)
        await lab.sim.rx("pjsip send register *all")
        await load.wind_down(drain=20)
        writer.close()
        keeper.cancel()
        await asyncio.gather(keeper, return_exceptions=True)
        raw = b"".join(chunks)
        out.parent.mkdir(parents=True, exist_ok=True)
        with gzip.open(out, "wb", compresslevel=9) as f:
            f.write(raw)
        events = raw.count(b"\r\nEvent: ") + raw.startswith(b"Event: ")
        print(f"recorded {len(raw):,} bytes, about {events:,} events, in "
              f"{time.monotonic() - started:.0f} s ({figures.placed} customer calls, peak "
              f"{figures.peak} at once, {len(figures.accepted)} callbacks asked) -> {out} "
              f"({out.stat().st_size:,} bytes compressed)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    asyncio.run(record(args.seconds, args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
