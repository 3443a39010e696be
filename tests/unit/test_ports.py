"""The ports (ari_app/ports.py) are what the real clients and the fakes offer,
and the rules of Asterisk's vocabulary they share are written once there."""

from __future__ import annotations

import inspect

import pytest

from ari_app.asterisk.ari_ import AriClient
from ari_app.ports import AriApplication, AriError, AriRest, channel_gone, desk_caller
from tests.fakes.ari import FakeAri


def members(protocol: type) -> set[str]:
    out: set[str] = set()
    for cls in protocol.__mro__:
        if cls in (AriApplication, AriRest):
            out |= {n for n in vars(cls) if not n.startswith("_")}
            out |= set(getattr(cls, "__annotations__", {}))
    return out


def test_the_ports_name_the_calls_the_application_side_makes():
    assert members(AriApplication) == {"app", "connected", "on_event", "on_connected",
                                       "request"}


def test_the_real_client_and_the_fake_offer_every_member_with_the_same_parameters():
    client = AriClient("http://127.0.0.1:1", "u", "p", "datadesk")
    for name in members(AriApplication):
        assert hasattr(client, name) and hasattr(FakeAri(), name), name
        wanted = getattr(AriApplication, name, None)
        if callable(wanted):
            params = list(inspect.signature(wanted).parameters)
            assert list(inspect.signature(getattr(AriClient, name)).parameters) == params
            assert list(inspect.signature(getattr(FakeAri, name)).parameters) == params


def test_the_real_ami_client_and_the_fake_offer_the_ami_port():
    from ari_app.asterisk.ami import AmiClient
    from ari_app.ports import AmiPort
    from tests.fakes.ami import FakeAmi

    wanted = {n for n in vars(AmiPort) if not n.startswith("_")} | set(AmiPort.__annotations__)
    assert wanted == {"ready", "on_event", "on_connected", "send", "rows"}
    client = AmiClient("127.0.0.1", 1, "u", "s")
    for name in wanted:
        assert hasattr(client, name) and hasattr(FakeAmi(), name), name


@pytest.mark.parametrize("event, live", [
    ({"Queue": "desk", "Channel": "PJSIP/carrier-00000001"}, True),
    ({"Queue": "desk", "Channel": "Local/s@desk-callback-seat-cb1-1;1"}, False),
    ({"Queue": "frontline", "Channel": "PJSIP/carrier-00000002"}, False),
    ({"Channel": "PJSIP/carrier-00000003"}, False),
])
def test_a_desk_caller_is_a_channel_of_the_desk_queue_that_is_no_callback_attempt(event, live):
    assert desk_caller(event, "desk") is live


@pytest.mark.parametrize("answer, gone", [(None, False), (404, True)])
async def test_a_channel_is_gone_when_ari_says_404(answer, gone):
    ari = FakeAri()
    if answer is None:
        ari.up.add("cb1-1")
    assert await channel_gone(ari, "cb1-1") is gone
    assert ari.requests[-1][:2] == ("GET", "/channels/cb1-1")


async def test_any_other_ari_error_says_nothing_of_the_channel():
    ari = FakeAri()
    ari.answers[("GET", "/channels/x%2Fy")] = None

    class Refusing(FakeAri):
        async def request(self, method, path, **kw):
            raise AriError(500, method, path, "boom")

    assert await channel_gone(ari, "x/y") is False      # the id is quoted whole
    with pytest.raises(AriError):
        await channel_gone(Refusing(), "cb1-1")
