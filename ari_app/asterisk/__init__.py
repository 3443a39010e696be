"""Adapters to Asterisk: AMI (panoramisk) and ARI (aiohttp).

They translate Asterisk's events into calls on the desk domain and the
domain's decisions into Asterisk actions. No routing rule lives here. What
the parts use of AMI and ARI, and the errors these adapters raise, are the
controller's ports (``ari_app/ports.py``): the Stasis application, capture
and the lamp are written against those, not against the clients here.
"""
