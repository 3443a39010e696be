"""The desk's domain: seats and their presence, the routing rule.

Plain synchronous Python that knows nothing of AMI, ARI, Redis or HTTP; the
adapters in ``ari_app.asterisk`` and ``ari_app.store`` feed it and act on
its answers.
"""
