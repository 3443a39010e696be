"""Stand-ins for the controller's clients, for unit tests of the wiring and
the HTTP face (``init_app`` with ``Clients``). They record what is asked of
them and answer from what a test set; they claim nothing about Asterisk or
Redis (what those do is tested against the real servers the lab starts).

One module a client: ``ami.py``, ``ari.py``, ``redis_link.py``.
"""
