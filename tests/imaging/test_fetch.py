"""Fetching a photo from a URL: each refusal, against a real local web server (SSRF, docs/SECURITY.md)."""

import ipaddress
import socket
import ssl
from collections.abc import Iterator

import pytest
import trustme

from facerec.errors import FacerecError
from facerec.imaging.addresses import IPAddress
from facerec.imaging.fetch import FetchOptions, PhotoFetcher
from tests.photo_host import photo_host
from tests.photos import Photos

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def photo(photos: Photos) -> bytes:
    return photos.bytes_of(photos.group)


@pytest.fixture(scope="module")
def host(photo: bytes) -> Iterator[str]:
    with photo_host(photo, large_bytes=LIMIT + 1) as base_url:
        yield base_url


def fetcher(*, allowed: bool = True, read_timeout_s: float = 0.3, total_timeout_s: float = 5) -> PhotoFetcher:
    """Fetching from loopback (the test server) allowed or not; small time limits."""
    options = FetchOptions(
        max_bytes=LIMIT,
        allowed_networks=(LOOPBACK,) if allowed else (),
        connect_timeout_s=1,
        read_timeout_s=read_timeout_s,
        total_timeout_s=total_timeout_s,
    )
    return PhotoFetcher(options)


async def refusal(fetching: PhotoFetcher, url: str) -> FacerecError:
    with pytest.raises(FacerecError) as refused:
        await fetching.fetch(url)
    return refused.value


async def test_a_photo_is_fetched_when_its_network_is_allowed(host: str, photo: bytes) -> None:
    assert await fetcher().fetch(f"{host}/photo.jpg") == photo
    assert await fetcher().fetch(f"{host}/redirect?to=/photo.jpg") == photo


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("file:///etc/passwd", "image_url_scheme"),
        ("ftp://example.com/photo.jpg", "image_url_scheme"),
        ("gopher://127.0.0.1:6379/_INFO", "image_url_scheme"),
        ("photo.jpg", "image_url_invalid"),
        ("http:///photo.jpg", "image_url_invalid"),
    ],
)
async def test_only_absolute_http_urls_are_fetched(url: str, code: str) -> None:
    assert (await refusal(fetcher(), url)).code == code


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("[::1]", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("[fd00::1]", "private"),
        ("169.254.169.254", "link_local"),
        ("[fe80::1]", "link_local"),
        ("[::ffff:127.0.0.1]", "loopback"),
        ("[::ffff:169.254.169.254]", "link_local"),
        ("[2002:a00:1::]", "private"),
        ("[64:ff9b::a9fe:a9fe]", "link_local"),
        ("0.0.0.0", "unspecified"),
        ("[::]", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("[ff02::1]", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "reserved"),
    ],
)
async def test_non_public_addresses_are_refused(address: str, kind: str) -> None:
    refused = await refusal(fetcher(allowed=False), f"http://{address}/photo.jpg")
    assert refused.code == "image_url_address"
    assert refused.details is not None
    assert refused.details[0].code == kind


async def test_the_test_server_itself_is_refused_without_the_allowance(host: str) -> None:
    refused = await refusal(fetcher(allowed=False), f"{host}/photo.jpg")
    assert (refused.code, refused.details and refused.details[0].code) == ("image_url_address", "loopback")


async def test_a_name_is_judged_by_the_address_it_resolves_to(host: str) -> None:
    port = host.rsplit(":", 1)[1]
    refused = await refusal(fetcher(allowed=False), f"http://localhost:{port}/photo.jpg")
    assert (refused.code, refused.details and refused.details[0].code) == ("image_url_address", "loopback")

    async def private_dns(name: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("93.184.216.34"), ipaddress.ip_address("10.0.0.7")]

    seamed = PhotoFetcher(FetchOptions(max_bytes=LIMIT), resolver=private_dns)
    refused = await refusal(seamed, "http://photos.example/photo.jpg")
    assert refused.code == "image_url_address", "one private answer among public ones is enough"


async def test_the_connection_goes_to_the_checked_address_under_the_name(host: str) -> None:
    """No second lookup: a name nothing resolves is reached at the address the resolver gave, with the
    name in the Host header."""
    port = int(host.rsplit(":", 1)[1])
    lookups: list[str] = []

    async def once(name: str, port: int) -> list[IPAddress]:
        lookups.append(name)
        return [ipaddress.ip_address("127.0.0.1")]

    seamed = PhotoFetcher(FetchOptions(max_bytes=LIMIT, allowed_networks=(LOOPBACK,)), resolver=once)
    assert await seamed.fetch(f"http://photos.invalid:{port}/host") == f"photos.invalid:{port}".encode()
    assert lookups == ["photos.invalid"]


async def test_every_redirect_is_checked_again(host: str) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    refused = await refusal(fetcher(), f"{host}/redirect?to={metadata}")
    assert (refused.code, refused.details and refused.details[0].code) == ("image_url_address", "link_local")
    assert (await refusal(fetcher(), f"{host}/redirect?to=file:///etc/passwd")).code == "image_url_scheme"


async def test_redirects_are_limited(host: str) -> None:
    assert (await refusal(fetcher(), f"{host}/loop")).code == "image_url_redirects"
    no_redirects = PhotoFetcher(FetchOptions(max_bytes=LIMIT, allowed_networks=(LOOPBACK,), max_redirects=0))
    assert (await refusal(no_redirects, f"{host}/redirect?to=/photo.jpg")).code == "image_url_redirects"


@pytest.mark.parametrize("path", ["/large", "/declared-large"])
async def test_a_photo_over_the_upload_limit_is_cut_off(host: str, path: str) -> None:
    assert (await refusal(fetcher(), f"{host}{path}")).code == "image_url_too_large"


async def test_a_silent_host_times_out(host: str) -> None:
    assert (await refusal(fetcher(), f"{host}/slow")).code == "image_url_timeout"


async def test_a_host_that_trickles_is_stopped_by_the_total_limit(host: str) -> None:
    trickle = fetcher(read_timeout_s=1, total_timeout_s=0.5)
    assert (await refusal(trickle, f"{host}/drip")).code == "image_url_timeout"


async def test_an_error_answer_or_a_closed_port_is_unreachable(host: str) -> None:
    assert (await refusal(fetcher(), f"{host}/missing.jpg")).code == "image_url_unreachable"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    assert (await refusal(fetcher(), f"http://127.0.0.1:{closed}/")).code == "image_url_unreachable"


async def test_https_is_verified_for_the_name_while_connecting_to_the_checked_address(photo: bytes) -> None:
    """The certificate must name the host of the URL (SNI carries it), though the connection goes to the
    address that was checked: a certificate for another name is refused."""
    authority = trustme.CA()
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("photos.test").configure_cert(server_side)
    client_side = ssl.create_default_context()
    authority.configure_trust(client_side)

    async def loopback(name: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address("127.0.0.1")]

    options = FetchOptions(max_bytes=LIMIT, allowed_networks=(LOOPBACK,))
    seamed = PhotoFetcher(options, resolver=loopback, ssl_context=client_side)
    with photo_host(photo, tls=server_side) as base_url:
        port = base_url.rsplit(":", 1)[1]
        assert await seamed.fetch(f"https://photos.test:{port}/photo.jpg") == photo
        refused = await refusal(seamed, f"https://elsewhere.test:{port}/photo.jpg")
    assert refused.code == "image_url_unreachable"
    assert "certificate" in refused.message.lower()
