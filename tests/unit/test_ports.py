"""The ARI ports (asterisk/ports.py) are what the real client and the fake offer."""

from __future__ import annotations

import inspect

from ari_app.asterisk.ari_ import AriClient
from ari_app.asterisk.ports import AriApplication, AriRest
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
