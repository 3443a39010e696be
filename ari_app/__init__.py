"""Data desk controller: live transfers to an Asterisk specialist desk, seat
presence, and callbacks within the SLA.

``desk`` (the domain, pure), ``asterisk`` (AMI and ARI adapters), ``store``
(Redis repositories: typed values in and out), ``dialer`` (the callback
dialer), ``ports`` (what the parts use of Asterisk and the store, with the
errors the adapters raise), ``leadership`` (one leader among replicas, and
the parts that run only while leading), ``simulation`` (the SLA simulation
``datadesk sizing --simulate`` runs), ``web`` (the HTTP face), ``app`` (the
wiring), ``cli``."""

__version__ = "0.1.0"
