"""How a stored photo is served: as an image only, never as a page. `nosniff` stops a browser guessing
another type from the bytes, the Content-Security-Policy gives a document opened from it no script, style,
plugin or origin (`sandbox`), and the inline Content-Disposition names a file from the face id alone."""

from uuid import UUID

from fastapi import Response

from facerec.domain import StoredImage

EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/bmp": "bmp",
    "image/gif": "gif",
    "image/tiff": "tiff",
}
PHOTO_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def photo_response(face_id: UUID, image: StoredImage) -> Response:
    extension = EXTENSIONS.get(image.content_type, "bin")
    headers = {
        "Cache-Control": "private",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": PHOTO_CSP,
        "Content-Disposition": f'inline; filename="face-{face_id}.{extension}"',
    }
    return Response(image.data, media_type=image.content_type, headers=headers)
