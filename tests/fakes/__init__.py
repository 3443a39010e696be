"""Stand-ins for what the controller uses of Asterisk and Redis, for the
unit tests (the wiring, the HTTP face). They record what is asked of them and
answer from what a test set; they claim nothing about Asterisk or Redis (what
those do is tested against the real servers the lab starts).

One module a client: ``ami.py``, ``ari.py``, ``redis_link.py``. The callback
store in memory and the simulated desk's AMI and ARI ship with the package
(``ari_app/store/memory.py``, ``ari_app/simulation/``): the SLA simulation
of ``datadesk sizing --simulate`` runs on them.
"""
