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


class NoFaceFound(FacerecError):
    code = "no_face"


class FaceTooSmall(FacerecError):
    code = "face_too_small"


class MultipleFaces(FacerecError):
    code = "multiple_faces"


class PoorQuality(FacerecError):
    """The face is below the enrolment quality bar; `details` names each reason."""

    code = "poor_quality"


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


class ModelMismatch(FacerecError):
    """Two embeddings from different model packs cannot be compared."""

    code = "model_mismatch"


class DatabaseUnavailable(FacerecError):
    code = "database_unavailable"


class Overloaded(FacerecError):
    """Every inference slot and waiting place is taken."""

    code = "overloaded"


class ModelUnavailable(FacerecError):
    """A model pack cannot be found, fetched or verified. Raised at startup."""

    code = "model_unavailable"


class DataDirectoryInUse(FacerecError):
    """Another service already runs the embedded database in this data directory."""

    code = "data_directory_in_use"
