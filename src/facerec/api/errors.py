"""The one place where failures become HTTP responses or WebSocket refusals and closes, all with the same
body: `{"error": {"code": "...", "message": "...", "details": [...]}}`."""

import json
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocketClose

from facerec import errors
from facerec.api.schemas import ErrorBody
from facerec.api.text import INVALID_TEXT_MESSAGE

STATUS_BY_ERROR: dict[type[errors.FacerecError], int] = {
    errors.InvalidImage: 400,
    errors.TruncatedImage: 400,
    errors.SeveralImages: 422,
    errors.UnsupportedImageFormat: 415,
    errors.ImageTooLarge: 413,
    errors.PayloadTooLarge: 413,
    errors.ImageUrlRefused: 422,
    errors.NoFaceFound: 422,
    errors.FaceTooSmall: 422,
    errors.MultipleFaces: 422,
    errors.PoorQuality: 422,
    errors.InvalidCursor: 422,
    errors.InvalidMessage: 422,
    errors.StreamIdle: 408,
    errors.InvalidText: 422,
    errors.Unauthorized: 401,
    errors.RequestTimeout: 408,
    errors.TooManyHeaders: 431,
    errors.HostNotAllowed: 400,
    errors.ForbiddenOrigin: 403,
    errors.RateLimited: 429,
    errors.FaceNotFound: 404,
    errors.WebhookNotFound: 404,
    errors.PersonNotFound: 404,
    errors.CollectionNotFound: 404,
    errors.CollectionExists: 409,
    errors.Forbidden: 403,
    errors.NoStoredFaces: 409,
    errors.ExternalIdTaken: 409,
    errors.ModelMismatch: 409,
    errors.NoFarCurve: 422,
    errors.OwnFace: 409,
    errors.DatabaseUnavailable: 503,
    errors.Overloaded: 503,
    errors.ModelUnavailable: 503,
}

RETRY_AFTER_S = 1
WS_POLICY_VIOLATION = 1008  # RFC 6455 7.4.1
# An accepted WebSocket closes with 4000 + the HTTP status the same error would get (4413, 4408...): the
# private range of RFC 6455 7.4.2, used this way by many services.
WEBSOCKET_CLOSE_BASE = 4000
_CODE_BY_STATUS = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}


def documented_errors(descriptions: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for failures: each answered with the one error body."""
    return {status: {"model": ErrorBody, "description": text} for status, text in descriptions.items()}


def error_response(
    status: int, code: str, message: str, details: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": details}}
    return JSONResponse(body, status_code=status)


def status_of(error: errors.FacerecError) -> int:
    return next((code for kind, code in STATUS_BY_ERROR.items() if isinstance(error, kind)), 400)


def error_content(error: errors.FacerecError) -> dict[str, Any]:
    """The inside of the error body: `{"code", "message", "details"}` (a batch item carries it too)."""
    details = None if error.details is None else [_detail(item) for item in error.details]
    return {"code": error.code, "message": error.message, "details": details}


def error_body(error: errors.FacerecError) -> dict[str, Any]:
    """The body of every failure, whether it travels as an HTTP response or a WebSocket message."""
    return {"error": error_content(error)}


def domain_error_response(error: errors.FacerecError) -> JSONResponse:
    response = JSONResponse(error_body(error), status_code=status_of(error))
    if isinstance(error, errors.Overloaded | errors.DatabaseUnavailable):
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    if isinstance(error, errors.RateLimited):
        response.headers["Retry-After"] = str(error.retry_after_s)
    if isinstance(error, errors.Unauthorized):
        response.headers["WWW-Authenticate"] = ", ".join(f'{name} realm="facerec"' for name in error.schemes)
    return response


async def refuse(error: errors.FacerecError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer a connection that middleware turns away before the app sees it: an HTTP request, or a
    WebSocket handshake (with the same JSON body where the server can send one, else a policy close)."""
    if scope["type"] == "websocket" and "websocket.http.response" not in scope.get("extensions", {}):
        await WebSocketClose(WS_POLICY_VIOLATION, error.code)(scope, receive, send)
        return
    await domain_error_response(error)(scope, receive, send)


def closing_messages(error: errors.FacerecError) -> list[Message]:
    """What ends an accepted WebSocket with an error: the error body as a last `{"type": "error", ...}`
    message, then a close with code 4000 + its HTTP status and the error code as reason."""
    text = json.dumps({"type": "error", **error_body(error)})
    return [
        {"type": "websocket.send", "text": text},
        {"type": "websocket.close", "code": WEBSOCKET_CLOSE_BASE + status_of(error), "reason": error.code},
    ]


async def close_websocket(websocket: WebSocket, error: errors.FacerecError) -> None:
    for message in closing_messages(error):
        await websocket.send(message)


def validation_details(items: Sequence[Any]) -> list[errors.ErrorDetail]:
    """Pydantic's validation errors, one detail each: the field's dotted path and what is wrong."""
    return [errors.ErrorDetail(".".join(str(part) for part in item["loc"]), item["msg"]) for item in items]


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
    problems = error.errors()
    details = [_detail(detail) for detail in validation_details(problems)]
    if problems and all(item["type"] == errors.InvalidText.code for item in problems):
        return error_response(422, errors.InvalidText.code, INVALID_TEXT_MESSAGE, details)
    return error_response(422, "validation_error", "the request is not valid", details)


async def _on_http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(error.status_code, "http_error")
    response = error_response(error.status_code, code, str(error.detail))
    response.headers.update(error.headers or {})
    return response


def internal_error_response() -> JSONResponse:
    """A bug's answer, in the same body as every error (`RequestContext` logs it with the request id)."""
    return error_response(500, "internal_error", "an unexpected error occurred; it has been logged")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(errors.FacerecError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
