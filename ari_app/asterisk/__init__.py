"""Adapters to Asterisk: AMI (panoramisk) and ARI (aiohttp).

They translate Asterisk's events into calls on the desk domain and the
domain's decisions into Asterisk actions. No routing rule lives here.
"""
