"""AMI event ingestion: recorded traffic of a busy desk, replayed at full speed.

The recording (``bench/data/ami-busy-desk.txt.gz``, made by
``bench.record_ami`` against the lab PBX as the controller's own AMI user)
is fed, chunk by chunk as a socket would deliver it, into

- **the baseline**: panoramisk's own protocol and ``Manager`` with no
  handler registered, i.e. the bare parse of the same bytes; and
- **the controller**: the same protocol under the controller's AMI session,
  with every handler the real controller registers (the board's presence,
  the dialer, the day's figures) on a real ``Controller`` built from
  settings, so the board, the desk lamp and the dialer see every event.

Runs alternate between the two (the machine is noisy) and the median rate of
each is compared.

    .venv/bin/python -m bench.ami_ingest [--events 200000] [--runs 7] [--chunk 16384] [--json PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import logging
import statistics
import time
from pathlib import Path

from panoramisk import Manager

from ari_app.app import Controller
from ari_app.asterisk.ami_framing import _Session
from ari_app.settings import load_settings

from .common import Results

RECORDING = Path(__file__).parent / "data" / "ami-busy-desk.txt.gz"


class _Transport:
    """Where the protocol would write actions: nowhere (none are sent)."""

    def write(self, _data: bytes) -> None:
        pass

    def close(self) -> None:
        pass


def chunks_of(raw: bytes, size: int) -> list[bytes]:
    return [raw[i:i + size] for i in range(0, len(raw), size)]


def feed(factory: Manager, chunks: list[bytes], repeats: int) -> float:
    """Replay ``chunks`` ``repeats`` times into a fresh protocol; seconds taken."""
    protocol = factory.config["protocol_factory"]()
    protocol.connection_made(_Transport())
    protocol.factory = factory
    clock = time.perf_counter
    started = clock()
    for _ in range(repeats):
        for chunk in chunks:
            protocol.data_received(chunk)
    return clock() - started


def bare_manager(loop: asyncio.AbstractEventLoop) -> Manager:
    return Manager(loop=loop, host="127.0.0.1", port=1)


def controller_session(loop: asyncio.AbstractEventLoop) -> tuple[_Session, Controller]:
    """A real controller's AMI session, with the handlers it registers."""
    controller = Controller(load_settings(None, env={}))
    ended = loop.create_future()
    session = _Session(ended, loop=loop, host="127.0.0.1", port=1)
    for pattern, handler in controller.ami._handlers:
        session.register_event(pattern, controller.ami._wrap(handler))
    return session, controller


async def run(args: argparse.Namespace) -> int:
    results = Results("ami-ingest")
    loop = asyncio.get_running_loop()
    raw = gzip.decompress(RECORDING.read_bytes())
    chunks = chunks_of(raw, args.chunk)
    per_pass = raw.count(b"\r\nEvent: ")
    repeats = max(1, args.events // per_pass)
    total = per_pass * repeats
    results.note(f"recording: {len(raw):,} bytes, {per_pass:,} events a pass; "
                 f"{repeats} passes = {total:,} events a run, {args.chunk:,}-byte chunks")

    logging.getLogger("ari_app").setLevel(logging.CRITICAL)
    idle = set(asyncio.all_tasks())

    async def drop_tasks() -> None:
        # Handlers start small tasks (the day's figures in Redis, a resync on
        # FullyBooted): not ingestion work, and nothing here to talk to.
        for task in set(asyncio.all_tasks()) - idle:
            task.cancel()
        await asyncio.sleep(0)

    session, controller = controller_session(loop)
    handled = {p for p, _ in controller.ami._handlers}
    seen: list[str] = []
    board_events = 0
    changed = controller.presence.on_change

    def board_changed(seat: object) -> None:
        nonlocal board_events
        board_events += 1
        changed(seat)

    controller.presence.on_change = board_changed
    original = session.dispatch
    session.dispatch = lambda msg: seen.append(msg.get("Event")) or original(msg)
    feed(session, chunks, 1)  # one pass, watched: every handled event reaches its handler
    session.dispatch = original
    await drop_tasks()
    expected = sum(1 for line in raw.split(b"\r\n")
                   if line.startswith(b"Event: ") and line[7:].decode() in handled)
    reached = sum(1 for name in seen if name in handled)
    assert reached == expected, f"{reached} handled events dispatched, {expected} expected"
    results.note(f"one pass: {reached:,} of {per_pass:,} events have a handler, every one "
                 f"reached it ({len(seen) - reached} more answers to actions parsed); the "
                 f"board changed {board_events} times")
    results.note(f"controller handlers: {len(controller.ami._handlers)} on "
                 f"{len({p for p, _ in controller.ami._handlers})} event names")
    bare_rates, full_rates, all_rates = [], [], []
    for _ in range(args.runs):
        bare_rates.append(total / feed(bare_manager(loop), chunks, repeats))
        await drop_tasks()
        full_rates.append(total / feed(session, chunks, repeats))
        await drop_tasks()
        # The same, parsing every event as panoramisk does (no early drop):
        # what dispatch and the handlers cost on their own.
        session.wants = lambda _name: True
        all_rates.append(total / feed(session, chunks, repeats))
        del session.wants
        await drop_tasks()
    board = controller.board
    results.note("board after the replay: " + ", ".join(
        f"{s.agent_id} {s.activity(time.time())}" for s in board))
    bare, full = statistics.median(bare_rates), statistics.median(full_rates)
    every = statistics.median(all_rates)
    results.add("bare parse (panoramisk, no handlers)", bare, "ev/s")
    results.add("controller (parse + dispatch + board)", full, "ev/s", at_least=50_000)
    results.add("controller / bare parse", full / bare, "x", at_least=0.7)
    results.add("controller cost per event", 1e6 / full, "us")
    results.add("controller parsing every event", every, "ev/s")
    results.add("  the same / bare parse", every / bare, "x")
    return results.finish(args.json)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--chunk", type=int, default=16384)
    parser.add_argument("--json")
    args = parser.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    raise SystemExit(main())
