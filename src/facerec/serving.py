"""`facerec serve`: uvicorn over the application, with failures to start reported as errors, not tracebacks.

The socket is bound before anything loads, so a port in use is found at once. An error that fails the
lifespan's start-up (a model pack that cannot be had, a data directory in use) is kept and raised again
once uvicorn has given up, for the command line to print in one line.
"""

import socket

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from facerec.api.app import create_app
from facerec.errors import CannotListen, StartupFailed
from facerec.settings import Settings


class StartupWatch:
    """ASGI wrapper: keeps the exception that failed the lifespan's start-up instead of letting uvicorn log
    its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.error: Exception | None = None
        self._started = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def quiet_send(message: Message) -> None:
            if message["type"] == "lifespan.startup.complete":
                self._started = True
            if message["type"] == "lifespan.startup.failed":
                message = {"type": "lifespan.startup.failed", "message": ""}
            await send(message)

        try:
            await self.app(scope, receive, quiet_send)
        except Exception as error:
            if self._started:
                raise  # a failure at shutdown: uvicorn logs it
            self.error = error


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as error:
        raise CannotListen(
            f"cannot listen on {host}:{port} ({error.strerror or error}); stop whatever uses the port, or "
            "choose another with --port (or --host)"
        ) from error


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Serve until stopped (SIGINT or SIGTERM, after a graceful shutdown)."""
    listener = listening_socket(host, port)
    watch = StartupWatch(create_app(settings))
    # uvicorn's loggers go through ours (with request ids); the request line comes from RequestContext
    config = uvicorn.Config(watch, host=host, port=port, log_config=None, access_log=False, lifespan="on")
    try:
        uvicorn.Server(config).run(sockets=[listener])
    except SystemExit as exit_:  # uvicorn's way to give up when the lifespan's start-up failed
        if watch.error is not None:
            raise watch.error from None
        raise StartupFailed("the service did not start; see the log lines above") from exit_
