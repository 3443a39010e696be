"""The wallboard's event stream and the server's stop: an open wallboard
must not hold a stopping controller (SIGTERM runs the app's shutdown, then
waits for the requests still open before it stops the parts)."""

from __future__ import annotations

import asyncio

from ari_app.app import init_app
from ari_app.settings import HttpSettings, Settings
from tests.unit.test_app_factory import TOKEN, fakes


async def test_an_open_event_stream_ends_when_the_server_stops(aiohttp_client):
    app = init_app(Settings(http=HttpSettings(tokens=(TOKEN,))), fakes())
    client = await aiohttp_client(app)
    resp = await client.get(f"/api/wallboard/events?access_token={TOKEN}")
    assert (await asyncio.wait_for(resp.content.readline(), 10)).startswith(b"data: {")
    await app.shutdown()   # what the server runs first when it is told to stop
    # The stream ends (a snapshot may still have been on its way), well
    # before the next pushes a stream left open would go on sending.
    rest = await asyncio.wait_for(resp.content.read(), 3)
    assert rest.count(b"data: ") <= 1, rest
    assert resp.content.at_eof()
