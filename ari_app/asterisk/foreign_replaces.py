"""Attended transfers that replace another endpoint's call: seen, logged, counted.

A phone's REFER with ``Replaces=`` may name any dialog the PBX holds, and
Asterisk performs it with no hook to refuse it (docs/threat-model.md,
residual risk): a phone that learnt another customer's Call-ID and tags
takes that customer's place, and that customer is hung up. The controller
cannot prevent it; it makes it seen. Every AMI ``AttendedTransfer`` whose
two transferer channels (``OrigTransfererChannel``: the call of the phone
that sent the REFER; ``SecondTransfererChannel``: the call its Replaces
named) belong to different PJSIP endpoints gets one ERROR line and a count
by endpoint. A phone's own attended transfer (its consultation call
replaced, or its own call named by mistake) names two channels of one
endpoint and is left alone. A channel name of any other shape is never
trusted to be the phone's own: it counts as foreign.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator

from panoramisk.message import Message
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

log = logging.getLogger(__name__)

METRIC = "datadesk_transfers_replaced_foreign_total"
# The label of an endpoint that is not a configured phone (or no endpoint at
# all): labels stay bounded whatever a channel is called.
OTHER = "other"

# What chan_pjsip names a channel: ``PJSIP/<endpoint>-<8 lowercase hex>``.
# The endpoint is what comes before the last ``-`` (endpoint ids may hold
# ``-`` themselves, e.g. ``desk-node``); ASCII only, bounded.
_PJSIP_CHANNEL = re.compile(r"PJSIP/([A-Za-z0-9][A-Za-z0-9_.\-]{0,63})-[0-9a-f]{8}", re.ASCII)


def endpoint_of(channel: str) -> str | None:
    """The PJSIP endpoint of ``channel`` (an AMI channel name), or None when
    the name is not exactly of chan_pjsip's shape (a Local channel, a
    masquerade's ``<ZOMBIE>``, anything hostile or cut short)."""
    found = _PJSIP_CHANNEL.fullmatch(channel)
    return found.group(1) if found else None


def is_foreign(first: str, second: str) -> bool:
    """True unless both channels are PJSIP channels of one endpoint."""
    endpoint = endpoint_of(first)
    return endpoint is None or endpoint != endpoint_of(second)


def _shown(value: str) -> str:
    """A value from an event as a log line may carry it: printable, bounded."""
    return "".join(c if c.isprintable() else "?" for c in value[:80]) or "(none)"


class ForeignReplaces(Collector):
    """Watches ``AttendedTransfer`` on ``ami``; ``phones`` are the endpoint
    names the metric may carry as its ``endpoint`` label (others: ``other``)."""

    def __init__(self, ami, phones: Iterable[str]) -> None:
        self.phones = frozenset(phones)
        self.counts: Counter[str] = Counter()
        ami.on_event("AttendedTransfer", self.on_attended_transfer)

    def label(self, endpoint: str | None) -> str:
        """The metric label for ``endpoint``: itself if a configured phone."""
        return endpoint if endpoint in self.phones else OTHER

    def on_attended_transfer(self, msg: Message) -> None:
        sender = msg.get("OrigTransfererChannel") or ""
        named = msg.get("SecondTransfererChannel") or ""
        if not is_foreign(sender, named):
            return
        endpoint = endpoint_of(sender)
        self.counts[self.label(endpoint)] += 1
        phone = _shown(endpoint or sender)
        what = ("took over" if msg.get("Result") == "Success" else "tried to take over")
        log.error(
            "phone %s %s another endpoint's call: its REFER's Replaces named %s (caller %s), "
            "not a call of its own; its customer %s (%s) was to take that place; result %s. "
            "Check who uses phone %s and how it learnt that call's identifiers "
            "(threat model, residual risk)",
            phone, what, _shown(named), _shown(msg.get("SecondTransfererCallerIDNum") or ""),
            _shown(msg.get("TransfereeCallerIDNum") or ""),
            _shown(msg.get("TransfereeChannel") or ""), _shown(msg.get("Result") or ""), phone)

    def collect(self) -> Iterator[Metric]:
        """The count by endpoint for ``/metrics`` (a prometheus-client
        collector): every configured phone and ``other``, zeros too (a
        counter first seen at its first increment hides it from ``rate()``)."""
        family = CounterMetricFamily(
            METRIC, "Attended transfers whose Replaces named a call of another endpoint "
            "(a phone taking over someone else's call), by the phone's endpoint (since start).",
            labels=["endpoint"])
        for label in sorted(self.phones | {OTHER}):
            family.add_metric([label], self.counts[label])
        yield family
