"""Photos fetched from a URL, without letting the URL reach into the service's own network (SSRF).

Every hop is checked the same way: an http(s) URL with a host; the host resolved, and every address it
resolves to judged (`addresses.py`); then the connection goes to the address that was checked, with the
name in the Host header and in TLS's SNI (the certificate is checked against the name), so that no second
DNS answer can slip in between the check and the connection (DNS rebinding). A redirect is a new hop, up
to `max_redirects`. The body is counted as it arrives and cut off past `max_bytes`, whatever
Content-Length says; connect, read and whole-fetch time limits apply. No proxy from the environment is
used, and each hop has its own connection (none is reused under another name).
"""

import asyncio
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from facerec.errors import (
    ErrorDetail,
    ImageUrlAddress,
    ImageUrlInvalid,
    ImageUrlRedirects,
    ImageUrlScheme,
    ImageUrlTimeout,
    ImageUrlTooLarge,
    ImageUrlUnreachable,
)
from facerec.imaging.addresses import IPAddress, IPNetwork, refused_class

SCHEMES = frozenset({"http", "https"})

# (host, port) -> the addresses the host resolves to
Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]


@dataclass(frozen=True)
class FetchOptions:
    max_bytes: int
    allowed_networks: tuple[IPNetwork, ...] = ()
    max_redirects: int = 3
    connect_timeout_s: float = 3
    read_timeout_s: float = 10
    total_timeout_s: float = 20


async def resolve(host: str, port: int) -> list[IPAddress]:
    """The system resolver, off the event loop."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))


class PhotoFetcher:
    def __init__(
        self,
        options: FetchOptions,
        *,
        resolver: Resolver = resolve,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.options = options
        self._resolve = resolver
        self._ssl = ssl_context or httpx.create_ssl_context()
        self._timeout = httpx.Timeout(
            options.read_timeout_s, connect=options.connect_timeout_s, pool=options.connect_timeout_s
        )

    async def fetch(self, url: str) -> bytes:
        """The body of the photo at `url`, or the `ImageUrlRefused` error that says why not."""
        target = checked_url(url)
        try:
            async with asyncio.timeout(self.options.total_timeout_s):
                return await self._follow(target)
        except TimeoutError as error:
            raise ImageUrlTimeout(
                f"the photo from {target.host} did not arrive within {self.options.total_timeout_s:g} s"
            ) from error

    async def _follow(self, target: httpx.URL) -> bytes:
        for _ in range(self.options.max_redirects + 1):
            answer = await self._get(target)
            if isinstance(answer, bytes):
                return answer
            target = answer
        raise ImageUrlRedirects(f"the photo URL redirects more than {self.options.max_redirects} times")

    async def _get(self, url: httpx.URL) -> bytes | httpx.URL:
        """One hop: the photo, or where the server redirects to."""
        host = url.raw_host.decode("ascii")  # the IDNA name, or an IP literal
        address = await self._checked_address(url, host)
        headers = {"Host": url.netloc.decode("ascii"), "Accept": "image/*"}
        extensions = {"sni_hostname": host} if url.scheme == "https" and not _is_ip(host) else {}
        try:
            async with (
                httpx.AsyncClient(verify=self._ssl, trust_env=False, timeout=self._timeout) as client,
                client.stream(
                    "GET", url.copy_with(host=str(address)), headers=headers, extensions=extensions
                ) as response,
            ):
                if response.is_redirect:
                    return checked_url(url.join(response.headers["location"]))
                if not response.is_success:
                    raise ImageUrlUnreachable(f"{host} answered HTTP {response.status_code}")
                return await self._body(response)
        except httpx.TimeoutException as error:
            raise ImageUrlTimeout(f"{host} was too slow: {type(error).__name__}") from error
        except httpx.HTTPError as error:
            raise ImageUrlUnreachable(f"the photo could not be fetched from {host}: {error}") from error

    async def _checked_address(self, url: httpx.URL, host: str) -> IPAddress:
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as error:
            raise ImageUrlUnreachable(f"{host} does not resolve") from error
        if not addresses:
            raise ImageUrlUnreachable(f"{host} does not resolve")
        for address in addresses:
            refused = refused_class(address, self.options.allowed_networks)
            if refused is not None:
                kind = refused.replace("_", "-")
                raise ImageUrlAddress(
                    f"{host} resolves to a {kind} address; photos are fetched from public addresses "
                    "only, unless IMAGE_URL_ALLOWED_NETWORKS lists the network",
                    [ErrorDetail("url", f"a {kind} address", code=refused)],
                )
        return addresses[0]

    async def _body(self, response: httpx.Response) -> bytes:
        limit = self.options.max_bytes
        too_large = ImageUrlTooLarge(f"the photo at the URL is over the {limit} byte limit")
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            raise too_large
        data = bytearray()
        async for chunk in response.aiter_bytes():
            data += chunk
            if len(data) > limit:
                raise too_large
        return bytes(data)


def checked_url(url: str | httpx.URL) -> httpx.URL:
    """An absolute http(s) URL with a host, or the refusal."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise ImageUrlInvalid(f"the photo URL is not valid: {error}") from error
    if parsed.scheme and parsed.scheme not in SCHEMES:
        raise ImageUrlScheme(f"only http and https URLs are fetched, not {parsed.scheme}:")
    if not parsed.scheme or not parsed.host:
        raise ImageUrlInvalid("the photo URL must be absolute: http(s)://host/path")
    return parsed


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
