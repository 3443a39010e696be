"""The callback dialer (``loop.Dialer``), split by role: ``planner`` (which
callbacks to claim, pure), ``attempt`` (one attempt's life, in order: the
stored number checked, the Originate, the kept lease, its end, the receipt,
the ending recorded), ``originate`` and ``receipt`` (the Originate that
places an attempt and the one reading of its end, pure), ``recovery`` (what
became of an attempt whose lease ran out, pure), ``runner`` (the attempts in
flight, each handed its channel's events), ``recorder`` (endings in the
store), ``config`` (settings and ports as objects; the ports themselves are
the controller's, ``ari_app/ports.py``)."""

from .config import DialerPorts, DialerRules, DialerSettings
from .loop import Dialer
from .originate import caller_label, dial_refusal

__all__ = ["Dialer", "DialerPorts", "DialerRules", "DialerSettings", "caller_label",
           "dial_refusal"]
