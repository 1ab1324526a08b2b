"""`facerec serve`: the API on uvicorn, with limits on what a connection may cost before the app sees it.

uvicorn's default HTTP parser (httptools) buffers a request's head without any bound and waits for it
forever, before any middleware can run. So the server uses uvicorn's h11 protocol, which refuses a head
over `h11_max_incomplete_event_size` (MAX_HEADER_BYTES) with 400, and adds what uvicorn lacks: a deadline
for each request's head (HEADER_TIMEOUT_S). uvicorn's own options give the keep-alive timeout and the
cap on connections (`limit_concurrency`: a request beyond it gets 503). The header count, the body
limit and the body read timeout are enforced by the app (`facerec.api.limits`), under any server.
"""

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import Callable, Iterator

import h11
import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from facerec.errors import CannotListen, OpenNetworkRefused, StartupFailed
from facerec.settings import Settings

logger = logging.getLogger(__name__)


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve until stopped (SIGINT or SIGTERM, after a graceful shutdown). The socket is bound before
    anything loads, so a port in use is found at once."""
    check_binding(settings, host)
    run_server(settings, listening_socket(host, port))


def run_server(
    settings: Settings, listener: socket.socket, *, on_ready: Callable[[], None] | None = None
) -> None:
    """Serve on a bound socket until stopped; `on_ready` is called once the app has started. An error
    that fails the lifespan's start-up (a model pack that cannot be had, a data directory in use) is
    raised again once uvicorn has given up, for the command line to report in one line instead of
    uvicorn's traceback."""
    from facerec.api.app import create_app

    watch = StartupWatch(create_app(settings), on_ready=on_ready)
    host, port = listener.getsockname()[:2]  # for uvicorn's "running on" line
    config = uvicorn.Config(
        watch,
        host=host,
        port=port,
        lifespan="on",
        http=head_deadline_protocol(settings.header_timeout_s),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        limit_concurrency=settings.max_connections,
        timeout_keep_alive=settings.keep_alive_timeout_s,
        # uvicorn's loggers go through ours (with request ids); the request line comes from RequestContext
        log_config=None,
        access_log=False,
    )
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except SystemExit as exit_:  # uvicorn's way to give up when the lifespan's start-up failed
        if watch.error is not None:
            raise watch.error from None
        raise StartupFailed("the service did not start; see the log lines above") from exit_


def listening_socket(host: str, port: int, *, shared: bool = False) -> socket.socket:
    """A socket listening on `host`:`port`. `shared`: one of the serving processes' sockets on a port that
    `reserved_port` holds (SO_REUSEPORT): the kernel spreads new connections among them."""
    with _cannot_listen(host, port):
        return socket.create_server((host, port), family=_family(host), backlog=2048, reuse_port=shared)


def reserved_port(host: str, port: int) -> socket.socket:
    """The port held for the serving processes' own sockets: bound with SO_REUSEPORT but not listening, so
    that the kernel gives it no connection. A port that anything else holds is refused first, another
    service's serving processes included (they would take the same port and share its connections)."""
    with _cannot_listen(host, port):
        with socket.socket(_family(host)) as probe:
            probe.bind((host, port))
            port = probe.getsockname()[1]
        reserved = socket.socket(_family(host))
        reserved.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        reserved.bind((host, port))
    return reserved


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


@contextlib.contextmanager
def _cannot_listen(host: str, port: int) -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise CannotListen(
            f"cannot listen on {host}:{port} ({error.strerror or error}); stop whatever uses the port, or "
            "choose another with --port (or --host)"
        ) from error


class StartupWatch:
    """ASGI wrapper: keeps the exception that failed the lifespan's start-up instead of letting uvicorn log
    its traceback."""

    def __init__(self, app: ASGIApp, *, on_ready: Callable[[], None] | None = None) -> None:
        self.app = app
        self.error: Exception | None = None
        self._started = False
        self._on_ready = on_ready

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._started = True
                if self._on_ready is not None:
                    self._on_ready()
            if message["type"] == "lifespan.startup.failed":
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        try:
            await self.app(scope, receive, quiet_send)
        except Exception as error:
            if self._started:
                raise  # a failure at shutdown: uvicorn logs it
            self.error = error


def check_binding(settings: Settings, host: str) -> None:
    """With access control off, anyone who can reach the port can use the API: only loopback, unless
    ALLOW_OPEN_NETWORK=true says that the network in between is trusted."""
    if settings.access_control or settings.allow_open_network or _loopback(host):
        return
    raise OpenNetworkRefused(
        f"refusing to listen on {host or 'every address'} with access control off: anyone who can reach "
        "it could read and change every face. Set API_KEYS or JWT_SECRET_KEY, or ALLOW_OPEN_NETWORK=true "
        "if only trusted clients can reach this address (docs/SECURITY.md)"
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a name other than localhost: it may resolve to anything
        return False


def head_deadline_protocol(timeout_s: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol, plus a deadline: a connection that has not sent a whole request head within
    `timeout_s` of its first byte (or of being opened) is closed. Between requests, uvicorn's keep-alive
    timeout applies instead."""

    class HeadDeadlineProtocol(H11Protocol):
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._watch_head()

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self._watch_head()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._watch_head()

        def connection_lost(self, exc: Exception | None) -> None:
            self._clear_deadline()
            super().connection_lost(exc)

        def _watch_head(self) -> None:
            awaiting_head = self.conn.their_state is h11.IDLE and self.timeout_keep_alive_task is None
            if not awaiting_head or self.transport.is_closing():
                self._clear_deadline()
            elif self.deadline is None:
                self.deadline = self.loop.call_later(timeout_s, self._head_timed_out)

        def _head_timed_out(self) -> None:
            self.deadline = None
            logger.info("closed a connection that sent no complete request head in %g s", timeout_s)
            self.transport.close()

        def _clear_deadline(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
                self.deadline = None

    return HeadDeadlineProtocol
