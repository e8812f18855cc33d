"""Settings are parsed once, into typed attributes; a value cmmi-bot cannot use stops start-up with its name and what to type."""

from __future__ import annotations

import logging

import pytest

from bot.settings import ConfigError, SettingError, load_settings


def test_values_become_typed_attributes() -> None:
    settings = load_settings(
        {"CMMI_HTTP_PORT": "8080", "CMMI_SHUTDOWN_GRACE_SECONDS": "2.5", "CMMI_TEAMS_NO_AUTH": "1", "CMMI_LOG_LEVEL": "debug",
         "CMMI_LOG_FORMAT": "JSON", "CMMI_ADMINS": "U1, Boss@Example.com", "CMMI_DIGEST_CHECK_SECONDS": "0"}
    )  # fmt: skip
    assert settings.http_port == 8080 and settings.shutdown_grace == 2.5 and settings.teams_no_auth is True
    assert settings.log_level == logging.DEBUG and settings.log_format == "json" and settings.digest_check == 0
    assert settings.admins.includes("U1") and settings.admins.includes("U2", "boss@example.com")
    assert settings.given == {"CMMI_HTTP_PORT", "CMMI_SHUTDOWN_GRACE_SECONDS", "CMMI_TEAMS_NO_AUTH", "CMMI_LOG_LEVEL",
                              "CMMI_LOG_FORMAT", "CMMI_ADMINS", "CMMI_DIGEST_CHECK_SECONDS"}  # fmt: skip


def test_an_unknown_log_level_or_format_does_not_stop_start_up() -> None:
    settings = load_settings({"CMMI_LOG_LEVEL": "loud", "CMMI_LOG_FORMAT": "xml"})
    assert settings.log_level == logging.WARNING and settings.log_format == "text"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CMMI_HTTP_PORT", "http", "CMMI_HTTP_PORT must be a port number (0-65535), not 'http'."),
        ("CMMI_HTTP_PORT", "65536", "CMMI_HTTP_PORT must be a port number (0-65535), not '65536'."),
        ("CMMI_SHUTDOWN_GRACE_SECONDS", "-1", "CMMI_SHUTDOWN_GRACE_SECONDS must be a number of seconds from 0 to 600, not '-1'."),
        ("CMMI_RECOVER_AFTER_SECONDS", "0", "CMMI_RECOVER_AFTER_SECONDS must be a number of seconds from 1 to 86400, not '0'."),
        ("CMMI_DIGEST_CHECK_SECONDS", "nan", "CMMI_DIGEST_CHECK_SECONDS must be a number of seconds from 0 (off) to 86400, not 'nan'."),
        ("CMMI_EVIDENCE_REVIEW_MONTHS", "121", "CMMI_EVIDENCE_REVIEW_MONTHS must be a whole number of months from 1 to 120, not '121'."),
        ("CMMI_TEAMS_NO_AUTH", "yes", "CMMI_TEAMS_NO_AUTH must be 1 (local testing only) or empty, not 'yes'."),
        ("SLACK_API_URL", "slack.com/api", "SLACK_API_URL must be an http:// or https:// URL, not 'slack.com/api'."),
    ],
)
def test_a_bad_value_is_refused_with_its_name_and_what_to_type(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingError) as refused:
        load_settings({name: value})
    assert str(refused.value) == message
    assert isinstance(refused.value, ConfigError)  # servers' callers catch one kind of configuration error


def test_secrets_stay_out_of_the_settings_repr() -> None:
    settings = load_settings(
        {"SLACK_BOT_TOKEN": "xoxb-secret", "CLIENT_SECRET": "s3cret", "CMMI_DATABASE_URL": "postgresql+psycopg://u:pw@h/d"}
    )
    assert "secret" not in repr(settings) and "s3cret" not in repr(settings) and "pw@" not in repr(settings)
