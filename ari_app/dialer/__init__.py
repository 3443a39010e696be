"""The callback dialer (``loop.Dialer``), split by role: ``planner`` (which
callbacks to claim, pure), ``attempt`` (the Originate and the one reading of
an attempt's end, pure), ``recovery`` (what became of an attempt whose lease
ran out, pure), ``runner`` (attempts in flight), ``recorder`` (their endings
in the store), ``config`` (settings and ports as objects; the ports
themselves are the controller's, ``ari_app/ports.py``)."""

from .attempt import caller_label, dial_refusal
from .config import DialerPorts, DialerRules, DialerSettings
from .loop import Dialer

__all__ = ["Dialer", "DialerPorts", "DialerRules", "DialerSettings", "caller_label",
           "dial_refusal"]
