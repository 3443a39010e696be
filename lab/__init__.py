"""The lab: a real stack on loopback for the demo, the tests and the benches.

It builds (once, then cached) a Debian-unstable tree holding Debian's Asterisk
22 package, runs the PBX from asterisk-conf/ + dialplan/ and a second Asterisk
as the phone simulator, runs a Redis server, and stops everything it started.
Nothing here is imported by the controller itself.
"""
