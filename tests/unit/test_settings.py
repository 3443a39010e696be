import pytest

from ari_app.settings import SettingsError, load_settings


def test_defaults_without_a_file():
    s = load_settings(None, env={})
    assert s.ami.port == 5038 and s.desk.queue == "desk" and len(s.desk.seats) == 6


def test_file_values_and_environment_secrets(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text('[ami]\nport = 15038\nsecret = "from-file"\n[desk]\nseats = ["7001"]\n')
    s = load_settings(f, env={"DATADESK_AMI_SECRET": "from-env"})
    assert s.ami.port == 15038 and s.ami.secret == "from-env" and s.desk.seats == ("7001",)


@pytest.mark.parametrize("text, named", [
    ('[ami]\nprot = 1\n', "[ami] prot"),
    ('[ami]\nport = "5038"\n', "[ami] port"),
    ('[amii]\nport = 1\n', "[amii]"),
    ('[desk]\nseats = [1, 2]\n', "[desk] seats"),
    ('[ami\nport = 1\n', "d.toml"),
])
def test_bad_values_name_the_key(tmp_path, text, named):
    f = tmp_path / "d.toml"
    f.write_text(text)
    with pytest.raises(SettingsError) as err:
        load_settings(f, env={})
    assert named in str(err.value)


def test_the_example_file_loads_and_equals_the_defaults():
    from pathlib import Path
    example = Path(__file__).resolve().parents[2] / "datadesk.example.toml"
    assert load_settings(example, env={}) == load_settings(None, env={})


@pytest.mark.parametrize("text, named", [
    ('[calendar]\nhours = "22:00-09:00"\n', "[calendar]"),
    ('[calendar]\nholidays = ["2026-02-30"]\n', "[calendar]"),
    ('[topics]\nlive = { "1" = "x" }\n', "[topics]"),
    ('[topics]\nunknown = "maybe"\n', "[topics] unknown"),
    ('[desk]\nnamed_unavailable = "queue"\n', "[desk] named_unavailable"),
    ('[calendar]\nsla_minutes = 0\n', "[calendar] sla_minutes"),
    ('[ami]\nheartbeat_interval = 0.1\n', "[ami] heartbeat_interval"),
    ('[ami]\nheartbeat_interval = -2\n', "[ami] heartbeat_interval"),
    ('[ami]\nheartbeat_timeout = 0\n', "[ami] heartbeat_timeout"),
    ('[ami]\nheartbeat_timeout = 600\n', "[ami] heartbeat_timeout"),
])
def test_bad_domain_values_name_the_section(tmp_path, text, named):
    f = tmp_path / "d.toml"
    f.write_text(text)
    with pytest.raises(SettingsError) as err:
        load_settings(f, env={})
    assert named in str(err.value)


def test_errors_give_the_line_of_the_bad_value(tmp_path):
    f = tmp_path / "d.toml"
    f.write_text('[ami]\nport = 5038\n\n[calendar]\ntimezone = "Asia/Shanghai"\n'
                 'hours = "25:00-22:00"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(f, env={})
    assert f"{f}:" in str(err.value) and "hours" in str(err.value)
    f.write_text('[ami]\nport = 5038\nsecrt = "x"\n')
    with pytest.raises(SettingsError) as err:
        load_settings(f, env={})
    assert str(err.value).startswith(f"{f}:3: [ami] secrt")


def test_the_retry_defaults_are_the_domain_s_own():
    """[callbacks] without retry keys dials by the domain's default policy."""
    from ari_app.desk.callback import RetryPolicy
    from ari_app.settings.domain import build_retry
    assert build_retry(load_settings(None, env={}).callbacks) == RetryPolicy()


def test_the_ami_heartbeat_is_the_settings_and_reaches_the_client(tmp_path):
    from ari_app.app import connect
    f = tmp_path / "d.toml"
    f.write_text('[ami]\nheartbeat_interval = 5\nheartbeat_timeout = 12.5\n')
    timing = connect(load_settings(f, env={})).ami._timing
    assert (timing.interval, timing.timeout) == (5.0, 12.5)
    f.write_text('[ami]\nheartbeat_interval = 0\n')            # off
    assert connect(load_settings(f, env={})).ami._timing.interval == 0
    default = connect(load_settings(None, env={})).ami._timing
    assert (default.interval, default.timeout) == (2.0, 4.0)
