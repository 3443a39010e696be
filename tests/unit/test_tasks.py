"""Every background task has an owner that ends it: ``Worker`` and ``TaskSet``."""

from __future__ import annotations

import asyncio
import logging

from ari_app.tasks import TaskSet, Worker


async def test_a_worker_runs_once_however_often_started_and_stop_ends_it():
    runs, gate = [], asyncio.Event()

    async def loop() -> None:
        runs.append(1)
        await gate.wait()
    worker = Worker(loop, "test-loop")
    worker.start()
    worker.start()
    await asyncio.sleep(0)
    assert runs == [1] and worker.running
    task = next(t for t in asyncio.all_tasks() if t.get_name() == "test-loop")
    await worker.stop()
    assert task.cancelled() and not worker.running
    await worker.stop()  # a second stop does nothing


async def test_a_task_set_cancels_what_still_runs_and_forgets_what_ended():
    tasks = TaskSet("test")
    never = tasks.spawn(asyncio.Event().wait())
    quick = tasks.spawn(asyncio.sleep(0))
    await quick
    await asyncio.sleep(0)
    assert len(tasks) == 1
    await tasks.close()
    assert never.cancelled() and len(tasks) == 0


async def test_a_failing_task_is_logged_with_its_owner(caplog):
    async def fail() -> None:
        raise RuntimeError("boom")
    tasks = TaskSet("desk figures")
    with caplog.at_level(logging.ERROR, logger="ari_app.tasks"):
        task = tasks.spawn(fail())
        await asyncio.gather(task, return_exceptions=True)
        await asyncio.sleep(0)
    assert any("desk figures" in r.getMessage() and r.exc_info for r in caplog.records)
    assert len(tasks) == 0
