import pytest

from core.errors import SettingsError
from core.settings import Settings


def test_settings_have_working_local_defaults():
    settings = Settings.from_env({})
    assert settings.database_url.startswith("postgresql://")
    assert settings.broker_url.startswith("amqp://")
    assert settings.results_url != settings.cache_url
    assert settings.predict_timeout_ms == 30_000


def test_settings_read_prefixed_variables_and_coerce_numbers():
    settings = Settings.from_env(
        {"FOOTCAST_PREDICT_TIMEOUT_MS": "1500", "FOOTCAST_ENV": "production", "HOME": "/x"}
    )
    assert settings.predict_timeout_ms == 1500
    assert settings.env == "production"


def test_unknown_footcast_variable_is_an_error_naming_it():
    with pytest.raises(SettingsError, match="FOOTCAST_DATABSE_URL"):
        Settings.from_env({"FOOTCAST_DATABSE_URL": "postgresql://x"})


def test_non_numeric_timeout_is_an_error_naming_the_variable():
    with pytest.raises(SettingsError, match="FOOTCAST_HEALTH_TIMEOUT_MS"):
        Settings.from_env({"FOOTCAST_HEALTH_TIMEOUT_MS": "soon"})


def test_invalid_environment_name_is_rejected():
    with pytest.raises(SettingsError, match="FOOTCAST_ENV"):
        Settings.from_env({"FOOTCAST_ENV": "staging"})


def test_settings_round_trip_through_child_environment():
    settings = Settings(predict_timeout_ms=1234, whoscored_min_interval_s=0.5)
    assert Settings.from_env(settings.as_env()) == settings


def test_passwords_in_connection_urls_are_secret_values():
    settings = Settings(database_url="postgresql://app:s3cr3t-pw@db:5432/footcast")
    assert settings.secret_values() == ["s3cr3t-pw"]
