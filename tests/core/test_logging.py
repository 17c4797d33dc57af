import io
import json
import logging

import structlog

from core.logging import configure_logging
from core.settings import Settings


def _configured(stream: io.StringIO) -> None:
    settings = Settings(
        log_format="json", broker_url="amqp://footcast:hunter2-secret@rabbit:5672/%2F"
    )
    configure_logging(settings, stream=stream)


def test_json_logs_redact_secret_values_in_messages_and_fields():
    stream = io.StringIO()
    _configured(stream)
    structlog.get_logger("t").info(
        "connecting to amqp://footcast:hunter2-secret@rabbit", url="x:hunter2-secret@y"
    )
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "hunter2-secret" not in stream.getvalue()
    assert line["event"] == "connecting to amqp://footcast:***@rabbit"
    assert line["url"] == "x:***@y"


def test_fields_named_like_secrets_are_masked_whatever_they_hold():
    stream = io.StringIO()
    _configured(stream)
    structlog.get_logger("t").info("login", password="anything", api_key="k", user="bob")
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["password"] == "***" and line["api_key"] == "***" and line["user"] == "bob"


def test_library_log_records_go_through_the_same_redaction():
    stream = io.StringIO()
    _configured(stream)
    logging.getLogger("dramatiq.broker").warning("lost amqp://footcast:hunter2-secret@rabbit")
    assert "hunter2-secret" not in stream.getvalue()
    assert json.loads(stream.getvalue().strip().splitlines()[-1])["logger"] == "dramatiq.broker"


def test_any_value_a_line_carries_is_written_as_json():
    stream = io.StringIO()
    _configured(stream)
    log = structlog.get_logger("t")
    log.info("counts", by_season={2324: 380}, total=2**70, ratio=float("nan"), when=object())
    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["by_season"] == {"2324": 380} and line["total"] == 2**70
    assert line["event"] == "counts" and line["when"].startswith("<object")


def test_our_lines_and_library_records_share_one_stream_level_and_order():
    stream = io.StringIO()
    configure_logging(Settings(log_format="json", log_level="WARNING"), stream=stream)
    ours = structlog.get_logger("footcast.t")
    ours.info("dropped below the level")
    ours.warning("first", n=1)
    logging.getLogger("dramatiq.t").warning("second")
    logging.getLogger("dramatiq.t").info("dropped too")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["event"], line["logger"], line["level"]) for line in lines] == [
        ("first", "footcast.t", "warning"),
        ("second", "dramatiq.t", "warning"),
    ]


def test_a_logger_in_use_follows_a_new_configuration():
    from api.middleware import access_log

    before, after = io.StringIO(), io.StringIO()
    configure_logging(Settings(log_format="json", log_level="INFO"), stream=before)
    access_log.info("request", status=200)
    configure_logging(Settings(log_format="json", log_level="WARNING"), stream=after)
    access_log.info("request", status=201)
    access_log.error("request", status=500)
    assert [json.loads(line)["status"] for line in before.getvalue().splitlines()] == [200]
    assert [json.loads(line)["status"] for line in after.getvalue().splitlines()] == [500]


def test_an_exception_logged_carries_its_traceback():
    stream = io.StringIO()
    _configured(stream)
    try:
        raise ValueError("boom")
    except ValueError:
        structlog.get_logger("t").exception("failed")
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["level"] == "error" and "ValueError: boom" in line["exception"]
