"""Data desk controller: live transfers to an Asterisk specialist desk, seat
presence, and callbacks within the SLA."""

__version__ = "0.1.0"
