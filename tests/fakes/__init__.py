"""Stand-ins for what the controller uses of Asterisk and Redis, for the
unit tests (the wiring, the HTTP face, the dialer). They record what is
asked of them and answer from what a test set; they claim nothing about
Asterisk or Redis (what those do is tested against the real servers the lab
starts).

One fake a port (``ari_app/ports.py``): ``ami.py`` (``FakeAmi``), ``ari.py``
(``FakeAri``), each the simulated desk's own (``ari_app/simulation/``, the
SLA simulation of ``datadesk sizing --simulate``) with what the wiring's
tests ask besides; the callback store's is the package's in-memory store
(``ari_app/store/memory.py``). ``redis_link.py``: a Redis connection that
reaches no Redis.
"""
