"""Pure rules behind "Redis is an input": the dial-time check of a stored
callback, the caller label, the dialplan's refusal as an outcome, the ACL's
command list against what the code and its Lua scripts use, the compose
file's copy of it, and the retention setting."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from ari_app.desk.callback import (REFUSED_BY_DIALPLAN, Callback, Outcome, Progress, Request,
                                    RetryPolicy, Status, Times, Unreadable, after_attempt)
from ari_app.desk.numbers import InvalidNumber, NumberPolicy
from ari_app.dialer import caller_label, dial_refusal
from ari_app.store.records import MISMATCH, UNREADABLE, taken
from ari_app.settings import SettingsError, load_settings
from ari_app.store import acl

ROOT = Path(__file__).resolve().parents[2]


def stored(number) -> Callback:
    return Callback("cb1", Status.DIALLING, Request(number), Times(1800000000.0, 1800000000.0),
                    Progress(fence="1"))


def claimed(**fields: str) -> dict[str, str]:
    """A record as CLAIM leaves it, with ``fields`` changed."""
    return {"id": "cb1", "status": "dialling", "number": "13800138000", "fence": "1",
            "tries": "1", "attempts": "0", "deadline": "1800000000", "due": "1800000000",
            **fields}


@pytest.mark.parametrize("number", ["13800138000", "02012345678", "0755123456789"[:12]])
def test_a_stored_number_of_the_allow_list_may_be_dialled(number):
    assert dial_refusal(stored(number), NumberPolicy()) is None


@pytest.mark.parametrize("number, why", [
    ("0044201234567", "international"), ("+442012345678", "international"),
    ("95555", "premium"), ("10086", "premium"), ("23456", "mainland"),
    ("13800138000\r\nAction: Originate", "digits only"), ("138 0013 8000", "digits only"),
    ("138-0013-8000", "digits only"), ("1380013800&PJSIP/x", "digits only"),
    ("", "empty"), (None, "string"),
])
def test_a_stored_number_the_policy_refuses_is_not_dialled_and_says_why(number, why):
    reason = dial_refusal(stored(number), NumberPolicy())
    assert reason is not None and reason.startswith("number refused at dial time")
    assert why in reason


def test_a_stored_number_must_pass_the_policy_unchanged():
    # What an agent may type is cleaned on the way in; the store holds digits only.
    assert NumberPolicy().check("138 0013 8000") == "13800138000"
    with pytest.raises(InvalidNumber, match="digits only"):
        NumberPolicy().check_stored("138 0013 8000")


@pytest.mark.parametrize("deadline", ["", "soon", "1e400x", None])
def test_a_stored_deadline_that_is_not_a_number_never_reaches_the_dialer(deadline):
    record = claimed(deadline=deadline)
    if deadline is None:
        del record["deadline"]
    got = taken("cb1", record, Status.DIALLING)
    assert isinstance(got, Unreadable) and got.fence == "1"
    assert got.reason == MISMATCH + "its deadline is not a time"


@pytest.mark.parametrize("fields, why", [
    ({"due": "soon"}, "ValueError"), ({"last_outcome": "bogus"}, "ValueError"),
    ({"sla": "maybe"}, "ValueError"), ({"number": None}, "KeyError"),
])
def test_a_claimed_record_whose_field_cannot_be_read_is_unreadable_not_dialled(fields, why):
    record = {k: v for k, v in claimed(**fields).items() if v is not None}
    got = taken("cb1", record, Status.DIALLING)
    assert isinstance(got, Unreadable) and got.why == "record-mismatch"
    assert got.reason.startswith(UNREADABLE + why) and got.fence == "1"


@pytest.mark.parametrize("topic, label", [
    ("wlan", "wlan"), ("mobile-tv", "mobile-tv"), (None, ""), ("", ""),
    ("wlan\r\nAction: Hangup", "wlanActionHangup"), ('x" <999>', "x999"), ("a" * 90, "a" * 40),
])
def test_the_caller_label_keeps_letters_digits_and_dashes_only(topic, label):
    assert caller_label(topic) == label


def test_a_number_the_dialplan_refused_fails_at_once_and_is_never_retried():
    now = datetime(2026, 11, 30, 10, 0, tzinfo=timezone.utc)
    assert Outcome.from_dialstatus("REFUSED") is Outcome.REFUSED
    assert not Outcome.REFUSED.reached_customer
    nxt = after_attempt(Outcome.REFUSED, 0, now, now + timedelta(hours=1), RetryPolicy())
    assert nxt.status is Status.FAILED and nxt.reason == REFUSED_BY_DIALPLAN


def _lua_commands() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "ari_app" / "store").glob("*.py"):
        found |= {c.lower() for c in re.findall(r"redis\.call\('(\w+)'", path.read_text())}
    return found


def test_the_acl_allows_every_command_the_lua_scripts_call():
    assert _lua_commands() <= set(acl.COMMANDS)
    assert _lua_commands() == set(acl.SCRIPT_COMMANDS)


def test_the_acl_gives_nothing_dangerous_and_only_the_desks_keys():
    rules = acl.controller_rules("secret").split()
    assert "~datadesk:*" in rules and "-@all" in rules and "resetchannels" in rules
    assert not [r for r in rules if r.startswith("~") and r != "~datadesk:*"]
    assert not [r for r in rules if r.startswith("+@") or r.startswith("&")]
    for command in ("flushall", "flushdb", "config", "keys", "scan", "eval", "script|flush",
                    "debug", "acl", "shutdown", "module", "migrate", "rename", "subscribe"):
        assert f"+{command}" not in rules, command
    assert "secret" not in " ".join(rules)   # only its SHA-256


def test_the_acl_file_puts_the_default_user_behind_a_password():
    text = acl.acl_file("c0ffee", "beef")
    lines = text.splitlines()
    # Password-protected, not off, and allowed everything: Redis replays the
    # AOF as the default user and (redis/redis#14541) re-checks it at each EXEC.
    assert lines[0].startswith("user default on #") and lines[0].endswith("~* &* +@all")
    assert "nopass" not in text
    assert lines[1].startswith(f"user {acl.CONTROLLER_USER} on #")
    assert "c0ffee" not in text and "beef" not in text
    with pytest.raises(ValueError):
        acl.acl_file("has space", "x")
    with pytest.raises(ValueError):
        acl.acl_file("", "x")


def test_compose_gives_the_controllers_user_exactly_the_acl_commands():
    services = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())["services"]
    env = services["redis"]["environment"]
    assert env["DATADESK_REDIS_COMMANDS"].split() == [f"+{c}" for c in acl.COMMANDS]
    for key in ("DATADESK_REDIS_PASSWORD", "DATADESK_REDIS_ADMIN_PASSWORD"):
        assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[key]), key   # refuses to start without
    assert "--aclfile" in services["redis"]["command"]
    script = services["redis"]["entrypoint"][2]
    assert "user default on >%s ~* &* +@all" in script and "~datadesk:*" in script
    assert "nopass" not in script
    ctrl = services["controller"]["environment"]
    assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", ctrl["DATADESK_REDIS_PASSWORD"])
    assert ctrl["DATADESK_REDIS_URL"].startswith(f"redis://{acl.CONTROLLER_USER}@")


def test_compose_with_sentinel_gives_the_controllers_user_exactly_the_acl_commands():
    services = yaml.safe_load((ROOT / "docker" / "compose.sentinel.yaml").read_text())["services"]
    nodes = {k: s for k, s in services.items() if "DATADESK_REDIS_PORT" in s.get("environment", {})}
    sentinels = {k: s for k, s in services.items()
                 if "DATADESK_SENTINEL_PORT" in s.get("environment", {})}
    assert len(nodes) == 2 and len(sentinels) == 3
    for name, service in {**nodes, **sentinels}.items():
        env = service["environment"]
        for key in ("DATADESK_REDIS_PASSWORD", "DATADESK_REDIS_ADMIN_PASSWORD"):
            assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", env[key]), (name, key)
    for name, service in nodes.items():
        assert service["environment"]["DATADESK_REDIS_COMMANDS"].split() == \
            [f"+{c}" for c in acl.COMMANDS], name
    for name, service in sentinels.items():
        assert service["environment"]["DATADESK_SENTINEL_COMMANDS"].split() == \
            [f"+{c}" for c in acl.SENTINEL_COMMANDS], name
    # The script writes the rest of each user line (tests/unit/test_compose_sentinel.py
    # compares its files with acl.acl_file and acl.sentinel_rules).
    script = (ROOT / "docker" / "redis-sentinel.sh").read_text()
    assert "user default on #%s ~* &* +@all" in script and "~datadesk:*" in script
    assert "nopass" not in script


def test_retention_is_in_days_and_must_be_positive(tmp_path):
    assert load_settings(None, env={}).callbacks.retention == 90
    bad = tmp_path / "d.toml"
    bad.write_text("[callbacks]\nretention = 0\n")
    with pytest.raises(SettingsError, match="retention"):
        load_settings(bad, env={})


def test_the_redis_password_comes_from_the_environment():
    s = load_settings(None, env={"DATADESK_REDIS_PASSWORD": "from-env"})
    assert s.redis.password == "from-env"


def test_the_controller_may_wait_for_a_replica_but_not_steer_the_sentinels():
    assert "+wait" in acl.controller_rules("secret").split()
    rules = acl.sentinel_rules("secret").split()
    assert rules[0] == "on" and "-@all" in rules and "secret" not in " ".join(rules)
    allowed = {r[1:] for r in rules if r.startswith("+")}
    # discovery (redis-py reads SENTINEL MASTERS) and nothing that changes a Sentinel
    assert {"sentinel|masters", "sentinel|get-master-addr-by-name"} <= allowed
    assert not [r for r in allowed if r in ("sentinel", "sentinel|set", "sentinel|reset",
                                            "sentinel|failover", "sentinel|remove",
                                            "sentinel|monitor", "sentinel|config")]
