"""Domain errors. Raised anywhere below the API; turned into HTTP responses in `facerec.api.errors` only."""

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ErrorDetail:
    """One of several things wrong, where an error has more than one."""

    field: str
    message: str
    code: str | None = None


class FacerecError(Exception):
    """A failure the client can act on. `code` is stable and machine-readable."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str, details: list[ErrorDetail] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidImage(FacerecError):
    code = "invalid_image"


class UnsupportedImageFormat(FacerecError):
    code = "unsupported_format"


class TruncatedImage(FacerecError):
    code = "truncated_image"


class SeveralImages(FacerecError):
    """A request carries more than one image where one is expected."""

    code = "several_images"


class ImageTooLarge(FacerecError):
    """The image decodes to more pixels than allowed (decompression bombs included)."""

    code = "image_too_large"


class DecodeBudgetExceeded(ImageTooLarge):
    """Decoding the image would take more memory than the decode budget (16-bit, alpha, many pixels)."""

    code = "decode_budget_exceeded"


class PayloadTooLarge(FacerecError):
    """The request body is over the upload limit."""

    code = "payload_too_large"


class ImageUrlRefused(FacerecError):
    """A photo URL that is not fetched, or whose fetch failed (`imaging/fetch.py`)."""

    code = "image_url_refused"


class ImageUrlsDisabled(ImageUrlRefused):
    """A photo was sent as a URL while ALLOW_IMAGE_URLS is off."""

    code = "image_urls_disabled"


class ImageUrlInvalid(ImageUrlRefused):
    """Not an absolute http(s) URL with a host."""

    code = "image_url_invalid"


class ImageUrlScheme(ImageUrlRefused):
    code = "image_url_scheme"


class ImageUrlAddress(ImageUrlRefused):
    """The host resolves to an address photos are not fetched from (loopback, private, link-local...);
    the detail's code names which."""

    code = "image_url_address"


class ImageUrlRedirects(ImageUrlRefused):
    code = "image_url_redirects"


class ImageUrlUnreachable(ImageUrlRefused):
    """The name does not resolve, the connection fails, or the server answers other than 2xx."""

    code = "image_url_unreachable"


class ImageUrlTimeout(ImageUrlRefused):
    code = "image_url_timeout"


class ImageUrlTooLarge(PayloadTooLarge):
    """The fetched photo is over MAX_UPLOAD_BYTES."""

    code = "image_url_too_large"


class NoFaceFound(FacerecError):
    code = "no_face"


class FaceTooSmall(FacerecError):
    code = "face_too_small"


class MultipleFaces(FacerecError):
    code = "multiple_faces"


class PoorQuality(FacerecError):
    """The face is below the enrolment quality bar; `details` names each reason."""

    code = "poor_quality"


class InvalidText(FacerecError):
    """Text that Postgres cannot store: U+0000 or a lone surrogate. `details` names each field."""

    code = "invalid_text"


class InvalidCursor(FacerecError):
    code = "invalid_cursor"


class FaceNotFound(FacerecError):
    code = "face_not_found"


class PersonNotFound(FacerecError):
    code = "person_not_found"


class CollectionNotFound(FacerecError):
    code = "collection_not_found"


class CollectionExists(FacerecError):
    code = "collection_exists"


class ExternalIdTaken(FacerecError):
    """A face with this external id is already stored in the collection."""

    code = "external_id_taken"


class NoStoredFaces(FacerecError):
    """A person has no face this service's model pack can compare."""

    code = "no_stored_faces"


class Forbidden(FacerecError):
    """The credential is valid but does not reach this collection."""

    code = "forbidden"


class Unauthorized(FacerecError):
    """Access control is on and the request carries no valid credentials. `schemes` names the kinds of
    credential that would be accepted ("ApiKey", "Bearer")."""

    code = "unauthorized"

    def __init__(self, message: str, *, schemes: tuple[str, ...]) -> None:
        super().__init__(message)
        self.schemes = schemes


class WebhookNotFound(FacerecError):
    code = "webhook_not_found"


class ModelMismatch(FacerecError):
    """Two embeddings from different model packs cannot be compared."""

    code = "model_mismatch"


class FacesNotReembedded(FacerecError):
    """Dropping the old packs' vectors would leave faces without a vector of the new pack."""

    code = "faces_not_reembedded"


class OwnFace(FacerecError):
    """A face cannot be rejected for the person it belongs to: it should be moved."""

    code = "own_face"


class NoFarCurve(FacerecError):
    """`threshold=auto` needs a FAR curve measured for the running model pack."""

    code = "no_far_curve"


class DatabaseUnavailable(FacerecError):
    code = "database_unavailable"


class Overloaded(FacerecError):
    """Every inference slot and waiting place is taken."""

    code = "overloaded"


class ConfigurationError(FacerecError):
    """A setting is missing or wrong. The message names the setting and the fix; `facerec` exits with 2."""

    code = "configuration_error"


class TooManyStreams(Overloaded):
    """Every video stream place (STREAM_MAX_CONCURRENT) is taken."""

    code = "too_many_streams"


class StreamIdle(FacerecError):
    """A video stream sent nothing for STREAM_IDLE_TIMEOUT_S."""

    code = "idle_timeout"


class InvalidMessage(FacerecError):
    """A WebSocket text message that is not a control message this API knows."""

    code = "invalid_message"


class ModelUnavailable(FacerecError):
    """A model pack cannot be found, fetched or verified. Raised at startup."""

    code = "model_unavailable"


class DataDirectoryInUse(FacerecError):
    """Another service already runs the embedded database in this data directory."""

    code = "data_directory_in_use"


class CannotListen(FacerecError):
    """`facerec serve` cannot bind its address (a port in use, a host not on this machine)."""

    code = "cannot_listen"


class StartupFailed(FacerecError):
    code = "startup_failed"


class RequestTimeout(FacerecError):
    """The client went silent while sending the request body."""

    code = "request_timeout"


class TooManyHeaders(FacerecError):
    code = "too_many_headers"


class HostNotAllowed(FacerecError):
    """The Host header names a host this service does not serve (DNS rebinding, a stray proxy)."""

    code = "host_not_allowed"


class ForbiddenOrigin(FacerecError):
    """A browser page on an origin outside CORS_ORIGINS tried to change something."""

    code = "forbidden_origin"


class RateLimited(FacerecError):
    """The credential (or, with access control off, the client address) is over its request rate."""

    code = "rate_limited"

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OpenNetworkRefused(ConfigurationError):
    """`facerec serve` was asked to listen beyond loopback with access control off."""

    code = "open_network_refused"
