from pathlib import Path

import pytest

from engine.settings import Settings, SettingsError


def test_defaults_without_environment():
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.data_dir == Path("data")
    assert settings.key_cache_seconds == 5


def test_environment_overrides():
    settings = Settings.from_env(
        {
            "REDIS_URL": "redis://h:1/0",
            "REDIS_CLUSTER": "yes",
            "TANKTOP_PORT": "9000",
            "TANKTOP_RATE_LIMIT": "0",
            "TANKTOP_WEB_SERVER": "granian",
            "TANKTOP_LEARN_DUTY": "1",
        }
    )
    assert settings.learn_duty == 1
    assert settings.redis_url == "redis://h:1/0"
    assert settings.redis_cluster is True
    assert settings.port == 9000
    assert settings.rate_limit == 0
    assert settings.web_server == "granian"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TANKTOP_PORT": "http"}, "TANKTOP_PORT"),
        ({"TANKTOP_PORT": "0"}, "from 1 to 65535"),
        ({"TANKTOP_PORT": "70000"}, "from 1 to 65535"),
        ({"TANKTOP_RATE_LIMIT": "inf"}, "TANKTOP_RATE_LIMIT"),
        ({"TANKTOP_RATE_LIMIT": "-5"}, "TANKTOP_RATE_LIMIT"),
        ({"TANKTOP_RATE_LIMIT": "1e-300"}, "at least 0.001"),
        ({"TANKTOP_RATE_BURST": "1e30"}, "TANKTOP_RATE_BURST"),
        ({"TANKTOP_PORT": "80.5"}, "whole number"),
        ({"REDIS_CLUSTER": "maybe"}, "REDIS_CLUSTER"),
        ({"TANKTOP_KEY_CACHE_SECONDS": "nan"}, "TANKTOP_KEY_CACHE_SECONDS"),
        ({"TANKTOP_WEB_SERVER": "uwsgi"}, "gunicorn or granian"),
        ({"TANKTOP_LEARN_DUTY": "0"}, "TANKTOP_LEARN_DUTY"),
        ({"TANKTOP_LEARN_DUTY": "1.5"}, "TANKTOP_LEARN_DUTY"),
    ],
)
def test_bad_values_name_the_variable(env, message):
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)
