"""The SLA simulation: a desk day with the real dialer, board, routing rule
and callback service on a virtual clock, against a simulated Asterisk and the
in-memory store (``store/memory.py``). ``datadesk sizing --simulate`` runs it
on the desk's measured traffic; ``bench/sla.py`` on an assumed one.

``clock`` (the virtual-clock event loop), ``asterisk`` (AMI and ARI as the
simulated desk offers them), ``desk`` (the desk queue and the seats'
phones), ``day`` (one run and what it measured)."""
