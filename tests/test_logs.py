import io
import json
import logging
from collections.abc import Iterator

import pytest

from facerec.logs import (
    THROTTLED_LOGGERS,
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    Throttle,
    configure_logging,
    current_request_id,
    escape,
)

FORGED = "GET /x 200\r\n2026-01-01 00:00:00,000 INFO facerec [-] admin logged in\x00\x1b[31mred\u2028"


@pytest.fixture
def logged() -> Iterator[tuple[logging.Logger, io.StringIO, logging.StreamHandler[io.StringIO]]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("facerec.test_logs")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        yield logger, stream, handler
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
        logger.setLevel(logging.NOTSET)


def test_escape_leaves_no_control_character() -> None:
    escaped = escape(FORGED)
    assert escaped == (
        "GET /x 200\\r\\n2026-01-01 00:00:00,000 INFO facerec [-] admin logged in\\x00\\x1b[31mred\\u2028"
    )
    assert escape("Zoë O'Brien; DROP TABLE") == "Zoë O'Brien; DROP TABLE"


def test_text_lines_cannot_be_forged(logged: tuple[logging.Logger, io.StringIO, logging.Handler]) -> None:
    logger, stream, handler = logged
    handler.setFormatter(TextFormatter())
    logger.info("%s %s", "GET", FORGED)
    try:
        raise ValueError(FORGED)
    except ValueError:
        logger.exception("unexpected error")
    first, second, *traceback = stream.getvalue().splitlines()
    assert first.endswith("INFO facerec.test_logs [-] GET " + escape(FORGED))
    assert second.endswith("ERROR facerec.test_logs [-] unexpected error")
    assert traceback[0] == "    Traceback (most recent call last):"
    assert all(line.startswith("    ") for line in traceback)
    assert not any(char in stream.getvalue() for char in "\r\x00\x1b\u2028")


def test_json_is_one_object_per_line_with_the_request_id(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(JsonFormatter())
    token = current_request_id.set("req-1")
    try:
        logger.warning("path %s", FORGED)
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("unexpected error")
    finally:
        current_request_id.reset(token)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    warning, error = (json.loads(line) for line in lines)
    assert warning["message"] == f"path {FORGED}"
    assert (warning["level"], warning["logger"], warning["request_id"]) == (
        "WARNING",
        "facerec.test_logs",
        "req-1",
    )
    assert error["request_id"] == "req-1"
    assert error["exception"].endswith("RuntimeError: boom")


def test_a_repeated_message_passes_once_per_interval_then_says_how_many_were_held(
    logged: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    logger, stream, handler = logged
    handler.setFormatter(TextFormatter())
    now = [100.0]
    throttle = Throttle(10.0, clock=lambda: now[0])
    logger.addFilter(throttle)
    try:
        for _ in range(5):
            logger.warning("Invalid HTTP request received.")
        logger.warning("closed after %g s", 10.0)  # another message has its own allowance
        now[0] += 9.9
        logger.warning("Invalid HTTP request received.")
        now[0] += 0.1
        logger.warning("Invalid HTTP request received.")
    finally:
        logger.removeFilter(throttle)
    lines = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines == [
        "Invalid HTTP request received.",
        "closed after 10 s",
        "Invalid HTTP request received. (5 more like this in the last 10 s)",
    ]


def test_configuring_twice_throttles_the_connection_loggers_once() -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        configure_logging()
        configure_logging()
        for name in THROTTLED_LOGGERS:
            assert sum(isinstance(f, Throttle) for f in logging.getLogger(name).filters) == 1
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
