"""Fakes of what the controller uses of Asterisk and Redis (see ``ari_app/dialer/ports.py``)."""
