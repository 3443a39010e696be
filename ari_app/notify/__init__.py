"""Confirmations to the customer through the operator's message gateway.

When a callback is registered, booked, late (its deadline passed with no
dial) or cancelled, a confirmation in the customer's language, with the
promised time in the desk's zone (``message``), is written to an outbox in
Redis (``store/outbox.py``) and delivered by the leader as a signed webhook
(``confirmations``): HMAC-SHA256 of the body with ``[notify] secret``,
retried with a growing pause while the gateway is away; nothing waits on
it, and nothing is lost while it is down.
"""
