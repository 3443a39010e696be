"""The callback spool: requests the dialplan captured in AstDB while no
controller or no store could take them (dialplan/35-spool.conf), and their
import into the callback store."""
