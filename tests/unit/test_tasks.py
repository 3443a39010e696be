"""Every background task has an owner that ends it: ``Worker`` and ``TaskSet``;
``periodic`` loops that outlive a failing step."""

from __future__ import annotations

import asyncio
import logging

from ari_app.tasks import Background, TaskSet, Worker, leader_sweep, periodic


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


async def test_a_periodic_step_that_fails_is_logged_and_tried_again(caplog):
    calls, failures, second = [], [], asyncio.get_running_loop().create_future()

    async def step() -> None:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("redis away")
        if not second.done():
            second.set_result(None)
    with caplog.at_level(logging.INFO, logger="test.periodic"):
        task = asyncio.create_task(periodic(step, 0, name="risk watch",
                                            log=logging.getLogger("test.periodic"),
                                            failed=lambda: failures.append(1)))
        await second
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled() and failures == [1] and len(calls) >= 2
    lines = [r.getMessage() for r in caplog.records if r.name == "test.periodic"]
    assert lines[0] == ("risk watch: ConnectionError: redis away; retrying with back-off "
                        "(up to every 10 s), one line when it works again")
    assert len(lines) == 2 and lines[1].startswith("risk watch: working again after ")


async def test_wake_ends_a_periodic_pause_early():
    wake, steps = asyncio.Event(), asyncio.Queue()

    async def step() -> None:
        steps.put_nowait(1)
    # An hour's pause: only the wake can bring the second step.
    task = asyncio.create_task(periodic(step, 3600, name="dialer",
                                        log=logging.getLogger("test.periodic"), wake=wake))
    await steps.get()
    await asyncio.sleep(0)
    assert steps.empty()
    wake.set()
    await steps.get()
    assert not wake.is_set()      # cleared for the next pause
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()


class Rounds(Background):
    def __init__(self) -> None:
        super().__init__("test-rounds")
        self.rounds = 0

    async def _loop(self) -> None:
        while True:
            await self.pause(3600)
            self.rounds += 1


async def test_a_background_loop_waits_its_pause_unless_woken_and_ends_with_stop():
    owner = Rounds()
    owner.start()
    await asyncio.sleep(0.05)
    assert owner.rounds == 0            # an hour's pause: nothing yet
    owner.wake("any", "hook", "arguments")
    await asyncio.sleep(0.05)
    assert owner.rounds == 1            # woken: one round, then the pause again
    await asyncio.sleep(0.05)
    assert owner.rounds == 1            # the wake was used up
    await owner.stop()
    assert not any(t.get_name() == "test-rounds" for t in asyncio.all_tasks())


async def test_a_leader_sweep_steps_only_while_this_replica_leads():
    leads, steps, stepped = [False], [], asyncio.Event()

    async def step() -> None:
        steps.append(leads[0])
        stepped.set()
    worker = leader_sweep(step, 0.01, name="test-sweep", log=logging.getLogger("test"),
                          leading=lambda: leads[0])
    async with worker.during():
        await asyncio.sleep(0.05)          # several periods while not leading
        assert steps == []
        leads[0] = True
        await asyncio.wait_for(stepped.wait(), 10)
    assert steps and all(steps) and not worker.running
