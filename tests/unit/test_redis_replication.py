"""[redis] with Sentinel: the settings that say where the master is and how
many replicas confirm a write, refused when they cannot hold."""

from __future__ import annotations

import pytest

from ari_app.settings import SettingsError, load_settings
from ari_app.store.connection import RedisStore
from ari_app.store.durable import Replication, parse_sentinels


def settings(tmp_path, body: str):
    path = tmp_path / "datadesk.toml"
    path.write_text("[redis]\n" + body)
    return load_settings(path, env={})


def test_the_plain_url_still_needs_nothing_else(tmp_path):
    s = settings(tmp_path, 'url = "redis://127.0.0.1:6390/0"\n')
    assert RedisStore.from_settings(s.redis).replication == Replication()


def test_sentinels_name_the_master_and_each_write_waits_for_a_replica(tmp_path):
    s = settings(tmp_path, 'sentinels = ["127.0.0.1:26379", "[::1]:26380"]\n'
                           'master_name = "datadesk"\nwait_replicas = 1\nwait_timeout = 300\n')
    store = RedisStore.from_settings(s.redis)
    assert store.replication == Replication((("127.0.0.1", 26379), ("::1", 26380)),
                                            "datadesk", 1, 300)
    assert store.client.wait_replicas == 1 and store.client.wait_ms == 300
    assert "master 'datadesk' of sentinels 127.0.0.1:26379" in store.refusal(OSError("x"))


@pytest.mark.parametrize("body, names", [
    ('sentinels = ["127.0.0.1:26379"]\nwait_replicas = 1\n', "master_name"),
    ('master_name = "datadesk"\n', "sentinels"),
    ('sentinels = ["127.0.0.1"]\nmaster_name = "d"\nwait_replicas = 1\n', "not host:port"),
    ('sentinels = ["127.0.0.1:99999"]\nmaster_name = "d"\nwait_replicas = 1\n', "host:port"),
    ('sentinels = ["127.0.0.1:26379"]\nmaster_name = "d"\n', "wait_replicas: at least 1"),
    ('wait_replicas = -1\n', "wait_replicas"),
    ('wait_timeout = 0\n', "wait_timeout"),
])
def test_a_sentinel_setting_that_cannot_hold_stops_the_start_naming_it(tmp_path, body, names):
    with pytest.raises(SettingsError, match=names) as err:
        settings(tmp_path, body)
    message = str(err.value)
    key = message.split("] ", 1)[1].split(":")[0]
    assert "[redis]" in message
    # a key written in the file is named with its line
    assert ("datadesk.toml:" in message) == (f"{key} =" in body)


def test_parse_sentinels_keeps_the_order():
    assert parse_sentinels(("a:1", "b:2")) == (("a", 1), ("b", 2))


def test_the_start_line_names_the_sentinels_not_the_unused_url(tmp_path):
    from ari_app.serve import redis_target
    s = settings(tmp_path, 'url = "redis://:s3cret@10.0.0.9:6379/0"\n'
                           'sentinels = ["10.0.0.1:26379", "10.0.0.2:26379"]\n'
                           'master_name = "datadesk"\nwait_replicas = 1\n')
    line = redis_target(s)
    assert line.startswith("master 'datadesk' of sentinels 10.0.0.1:26379,10.0.0.2:26379")
    assert "1 replica" in line and "10.0.0.9" not in line and "s3cret" not in line
    plain = settings(tmp_path, 'url = "redis://:s3cret@10.0.0.9:6379/0"\n')
    assert redis_target(plain) == "redis://10.0.0.9:6379/0"
