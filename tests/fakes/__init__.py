"""Stand-ins for what the controller uses of Asterisk and Redis, shared by the
unit tests (the wiring, the HTTP face, the dialer) and the SLA benchmark's
simulated desk. They record what is asked of them and answer from what a test
set; they claim nothing about Asterisk or Redis (what those do is tested
against the real servers the lab starts; tests/integration/test_store_contract.py
runs the same scenarios against the store fake and a real Redis).

One module a client: ``ami.py``, ``ari.py``, ``redis_link.py`` (the wiring);
``store.py``, ``asterisk.py`` (the dialer's ports, ari_app/dialer/ports.py).
"""
