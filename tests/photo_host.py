"""A web server that hosts a photo, and misbehaves on request: redirects, slowness, size, other content."""

import contextlib
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

from tests.http_server import QuietHandler, http_server

SLOW_S = 1.0
PAGE = b"<html><body>not a photo</body></html>"


@contextmanager
def photo_host(photo: bytes, *, large_bytes: int = 0, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Paths: /photo.jpg; /redirect?to=URL (302); /loop (redirects to itself); /slow (headers, then
    silence); /drip (a byte every 0.1 s); /large (`large_bytes` zero bytes, no Content-Length);
    /declared-large (a Content-Length of `large_bytes`); /text (a web page); /host (echoes the Host
    header); anything else 404. Over TLS with `tls`. Yields the base URL."""

    class PhotoHost(QuietHandler):
        def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the fetcher gave up: as meant
                self._route()

        def _route(self) -> None:
            parts = urlsplit(self.path)
            if parts.path == "/photo.jpg":
                self._answer(200, photo, "image/jpeg")
            elif parts.path == "/redirect":
                self._redirect(parse_qs(parts.query)["to"][0])
            elif parts.path == "/loop":
                self._redirect("/loop")
            elif parts.path == "/slow":
                self._headers(200, "image/jpeg", len(photo))
                time.sleep(SLOW_S)
                self.wfile.write(photo)
            elif parts.path == "/drip":
                self._headers(200, "image/jpeg", len(photo))
                for byte in photo[:100]:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.1)
            elif parts.path == "/large":
                self._headers(200, "image/jpeg", None)
                self.wfile.write(bytes(large_bytes))
            elif parts.path == "/declared-large":
                self._headers(200, "image/jpeg", large_bytes)
            elif parts.path == "/text":
                self._answer(200, PAGE, "text/html")
            elif parts.path == "/host":
                self._answer(200, str(self.headers["Host"]).encode(), "text/plain")
            else:
                self._answer(404, b"no such photo", "text/plain")

        def _headers(self, status: int, content_type: str, length: int | None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            if length is not None:
                self.send_header("Content-Length", str(length))
            self.end_headers()

        def _answer(self, status: int, body: bytes, content_type: str) -> None:
            self._headers(status, content_type, len(body))
            self.wfile.write(body)

        def _redirect(self, location: str) -> None:
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with http_server(PhotoHost, tls=tls) as base_url:
        yield base_url
