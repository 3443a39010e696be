"""The toll-fraud guard: rate limits on callback requests and on calls placed."""

from __future__ import annotations

import asyncio

from lab.stack import SEATS


async def test_too_many_requests_for_one_number_get_429_with_retry_after(lab):
    await lab.start_controller({"callbacks": {"requests_per_number_hour": 2}})
    try:
        await lab.probe.pause(SEATS, reason="x")  # keep them undialled
        answers = [await lab.controller.request("POST", "/api/callbacks",
                                                {"number": "13800138801"}) for _ in range(3)]
        assert [status for status, _ in answers] == [201, 200, 429]
        assert "too many" in answers[2][1]["error"]
        status, _ = await lab.controller.request("POST", "/api/callbacks",
                                                 {"number": "13800138802"})
        assert status == 201  # another number is not held back
    finally:
        await lab.start_controller()


async def test_calls_to_one_number_beyond_the_daily_limit_are_not_placed(lab):
    await lab.start_controller({"callbacks": {"originations_per_number_day": 1}})
    try:
        await lab.probe.pause(SEATS[1:], reason="x")
        number = "13800138803"
        await lab.phones.on_ring(number, "busy")
        mark = lab.probe.log.mark()
        status, created = await lab.controller.request("POST", "/api/callbacks",
                                                       {"number": number})
        assert status == 201
        cb_id = created["callback"]["id"]
        for _ in range(100):
            _, body = await lab.controller.request("GET", f"/api/callbacks/{cb_id}")
            if any(h.get("event") == "deferred" for h in body["history"]):
                break
            await asyncio.sleep(0.2)
        assert body["callback"]["status"] == "open"
        assert body["callback"]["reason"] == "origination rate limit reached"
        assert body["callback"]["attempts"] == 1
        await asyncio.sleep(3)
        dials = [e for e in lab.probe.log.since(mark) if e.get("Event") == "DialBegin"
                 and e.get("DialString") == f"{number}@carrier"]
        assert len(dials) == 1
    finally:
        await lab.start_controller()
