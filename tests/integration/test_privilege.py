"""The controller's AMI user holds only what it needs (Asterisk refuses the rest)."""

import asyncio

import pytest

from ari_app.asterisk.ami import AmiClient


async def test_controller_ami_user_cannot_run_cli_commands_or_read_shell(lab):
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", lab.keys.ami, name="least-priv")
    ami.start()
    try:
        await ami.wait_ready(10)
        reply = await ami.send({"Action": "Command", "Command": "core show version"})
        assert reply.get("Response") == "Error"
        assert "permission denied" in reply.get("Message", "").lower()
        reply = await ami.send({"Action": "Getvar", "Variable": "SHELL(id)"})
        assert reply.get("Response") == "Error" or not reply.get("Value")
        # What it does need works: reading the desk queue.
        rows = await ami.rows({"Action": "QueueStatus", "Queue": "desk"})
        assert sum(1 for r in rows if r.get("Event") == "QueueMember") == 6
    finally:
        await ami.stop()


async def test_wrong_ami_secret_is_refused(lab):
    ami = AmiClient("127.0.0.1", lab.ports.pbx_ami, "datadesk", "not-the-secret",
                    name="bad-secret", max_backoff=0.5)
    ami.start()
    try:
        with pytest.raises(asyncio.TimeoutError):
            await ami.wait_ready(2)
    finally:
        await ami.stop()
