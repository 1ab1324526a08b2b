"""`facerec serve` on a real socket: what a connection may cost before the app sees it, and where the
service agrees to listen."""

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from facerec.cli import main
from facerec.errors import OpenNetworkRefused
from facerec.serve import check_binding
from facerec.settings import Settings
from tests.fuzz.service import running_service

HEADER_TIMEOUT_S = 3
MAX_CONNECTIONS = 6
WAIT_S = 15  # how long a test waits for the server to act; far beyond every limit above
KEEP_ALIVE_WAIT_S = 3.5  # beyond the 1 s set below, short of uvicorn's default 5 s


@pytest.fixture(scope="module")
def address(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    limits = {
        "DATABASE_URL": database_url,
        "AUTO_MIGRATE": "false",
        "HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
        "BODY_TIMEOUT_S": "1",
        "KEEP_ALIVE_TIMEOUT_S": "1",
        "MAX_CONNECTIONS": str(MAX_CONNECTIONS),
        "MAX_HEADER_BYTES": "8192",
    }
    with running_service(tmp_path_factory.mktemp("serve"), **limits) as service:
        url = urlsplit(service.url)
        assert url.hostname is not None
        assert url.port is not None
        yield url.hostname, url.port


def _connect(address: tuple[str, int]) -> socket.socket:
    connection = socket.create_connection(address, timeout=WAIT_S)
    return connection


def _head(path: str = "/healthz", method: str = "GET", extra: str = "") -> bytes:
    return f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{extra}\r\n".encode()


def _read_all(connection: socket.socket) -> bytes:
    """Everything until the server closes the connection (a socket timeout fails the test)."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def test_a_head_sent_too_slowly_is_cut_off(address: tuple[str, int]) -> None:
    with _connect(address) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        assert _read_all(connection) == b"", "closed without an answer"


def test_an_endless_head_is_refused_after_the_header_limit(address: tuple[str, int]) -> None:
    flood = b"X-Flood: " + b"a" * 1000 + b"\r\n"
    with _connect(address) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        with contextlib.suppress(ConnectionError):  # the server may close while the flood is in flight
            connection.sendall(flood * 100)
        answer = connection.recv(100)
    assert answer.startswith(b"HTTP/1.1 400"), "the server kept reading the head"


def test_an_idle_kept_alive_connection_is_closed(address: tuple[str, int]) -> None:
    with _connect(address) as connection:
        connection.settimeout(KEEP_ALIVE_WAIT_S)
        connection.sendall(_head())
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 200"), answer


def test_a_body_that_stops_coming_gets_408(address: tuple[str, int]) -> None:
    with _connect(address) as connection:
        extra = "Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: 1000\r\n"
        connection.sendall(_head("/api/face/encode", "POST", extra) + b"--b0undary\r\n")
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b'"request_timeout"' in answer


def test_connections_beyond_the_cap_are_turned_away(address: tuple[str, int]) -> None:
    idle = [_connect(address) for _ in range(MAX_CONNECTIONS)]
    try:
        with _connect(address) as connection:
            connection.sendall(_head(extra="Connection: close\r\n"))
            answer = _read_all(connection)
        assert answer.startswith(b"HTTP/1.1 503"), answer
    finally:
        for connection in idle:
            connection.close()


def test_too_many_header_fields_get_431(address: tuple[str, int]) -> None:
    extra = "".join(f"X-{index}: a\r\n" for index in range(101)) + "Connection: close\r\n"
    with _connect(address) as connection:
        connection.sendall(_head("/api/faces", extra=extra))
        answer = _read_all(connection)
    assert answer.startswith(b"HTTP/1.1 431"), answer
    assert b'"too_many_headers"' in answer


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost"])
def test_loopback_is_always_allowed(host: str) -> None:
    check_binding(Settings(_env_file=None), host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.168.1.20", "facerec.internal"])
def test_an_open_service_listens_beyond_loopback_only_when_told(host: str) -> None:
    with pytest.raises(OpenNetworkRefused, match="ALLOW_OPEN_NETWORK"):
        check_binding(Settings(_env_file=None), host)
    check_binding(Settings(_env_file=None, allow_open_network=True), host)
    check_binding(Settings(_env_file=None, api_keys="a-key-long-enough-0123"), host)


def test_facerec_serve_refuses_to_open_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # away from any .env
    for name in ("API_KEYS", "JWT_SECRET_KEY", "ALLOW_OPEN_NETWORK"):
        monkeypatch.delenv(name, raising=False)

    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    # an impossible port: were the check missing, the server would fail to bind rather than serve
    assert main(["serve", "--host", "0.0.0.0", "--port", "-1"]) == 1
    assert "refusing to listen on 0.0.0.0" in capsys.readouterr().err
