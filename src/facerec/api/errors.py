"""The one place where failures become HTTP responses, all with the same body:
`{"error": {"code": "...", "message": "...", "details": [...]}}`."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from facerec import errors
from facerec.api.schemas import ErrorBody

logger = logging.getLogger(__name__)

STATUS_BY_ERROR: dict[type[errors.FacerecError], int] = {
    errors.InvalidImage: 400,
    errors.TruncatedImage: 400,
    errors.SeveralImages: 422,
    errors.UnsupportedImageFormat: 415,
    errors.ImageTooLarge: 413,
    errors.PayloadTooLarge: 413,
    errors.NoFaceFound: 422,
    errors.FaceTooSmall: 422,
    errors.MultipleFaces: 422,
    errors.PoorQuality: 422,
    errors.InvalidCursor: 422,
    errors.Unauthorized: 401,
    errors.FaceNotFound: 404,
    errors.PersonNotFound: 404,
    errors.CollectionNotFound: 404,
    errors.CollectionExists: 409,
    errors.Forbidden: 403,
    errors.NoStoredFaces: 409,
    errors.ModelMismatch: 409,
    errors.DatabaseUnavailable: 503,
    errors.Overloaded: 503,
    errors.ModelUnavailable: 503,
}

RETRY_AFTER_S = 1
_CODE_BY_STATUS = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def documented_errors(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for failures: each answered with the one error body."""
    return {status: {"model": ErrorBody, "description": text} for status, text in descriptions.items()}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def domain_error_response(error: errors.FacerecError) -> JSONResponse:
    status = next(
        (code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)),
        400,
    )
    details = None if error.details is None else [_detail(item) for item in error.details]
    response = error_response(status, error.code, error.message, details)
    if isinstance(error, errors.Overloaded | errors.DatabaseUnavailable):
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    if isinstance(error, errors.Unauthorized):
        response.headers["WWW-Authenticate"] = ", ".join(f'{name} realm="facerec"' for name in error.schemes)
    return response


def _detail(detail: errors.ErrorDetail) -> dict[str, Any]:
    body: dict[str, Any] = {"field": detail.field, "message": detail.message}
    if detail.code is not None:
        body["code"] = detail.code
    return body


async def _on_domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, errors.FacerecError)
    return domain_error_response(error)


async def _on_validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    details = [
        {"field": ".".join(str(part) for part in item["loc"]), "message": item["msg"]}
        for item in error.errors()
    ]
    return error_response(422, "validation_error", "the request is not valid", details)


async def _on_http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    response.headers.update(error.headers or {})
    return response


async def _on_unexpected(_: Request, error: Exception) -> JSONResponse:
    """A bug: logged with its traceback (by the server too), answered in the same body as every error."""
    logger.error("unexpected error", exc_info=error)
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.FacerecError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
