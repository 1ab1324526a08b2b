import io
import json
import logging
from collections.abc import Iterator

import pytest

from facerec.logs import JsonFormatter, RequestIdFilter, TextFormatter, current_request_id, escape

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
