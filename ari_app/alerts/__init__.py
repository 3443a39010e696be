"""SLA-risk alerts: ``watch`` finds callbacks newly at risk of their SLA
(the rule is ``desk.callback.at_risk``) and hands each to ``webhook``, which
POSTs it as JSON to a configured URL from its own bounded queue, so a slow
or dead receiver never holds up the dialer or the watcher."""

from .watch import RiskWatch
from .webhook import Webhook, payload

__all__ = ["RiskWatch", "Webhook", "payload"]
