"""Multipart text fields must be text in their charset (UTF-8 unless the Content-Type names another).
Starlette decodes a field that is not as latin-1 instead of refusing it, and the string it hands on no
longer tells which happened: "José" sent in latin-1 would be stored as if it were UTF-8. This middleware
reads the body beside the app as it streams in, decodes each text field and field name strictly, and
leaves the names of those that fail in the request's state, where the text check (`facerec.api.text`)
refuses them with 422 `invalid_text`. File parts are not decoded."""

import codecs
from typing import TYPE_CHECKING

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

UNDECODABLE_STATE_KEY = "undecodable_form_fields"


class _TextParts:
    """python-multipart callbacks that collect the names of the text parts their charset cannot decode."""

    def __init__(self, charset: str) -> None:
        self.charset = charset
        self.undecodable: list[str] = []
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._decoder: codecs.IncrementalDecoder | None = None
        self._decodes = True

    def callbacks(self) -> "MultipartCallbacks":
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
        }

    def on_part_begin(self) -> None:
        self._disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name = self._header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        name = options.get(b"name", b"")
        self._name = name.decode(self.charset, "replace")
        self._decoder = None if b"filename" in options else codecs.getincrementaldecoder(self.charset)()
        self._decodes = self._feed(name, final=True, decoder=codecs.getincrementaldecoder(self.charset)())

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._decoder is not None and self._decodes:
            self._decodes = self._feed(data[start:end], final=False, decoder=self._decoder)

    def on_part_end(self) -> None:
        if self._decoder is not None and self._decodes:
            self._decodes = self._feed(b"", final=True, decoder=self._decoder)
        if not self._decodes:
            self.undecodable.append(self._name)

    @staticmethod
    def _feed(data: bytes, *, final: bool, decoder: codecs.IncrementalDecoder) -> bool:
        try:
            decoder.decode(data, final)
        except UnicodeDecodeError:
            return False
        return True


def _form_charset(scope: Scope) -> tuple[bytes, str] | None:
    """The boundary of a multipart request, and the charset Starlette decodes its text fields with."""
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    kind, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        return None
    try:
        charset = codecs.lookup(options.get(b"charset", b"utf-8").decode("latin-1")).name
    except LookupError:
        charset = "latin-1"  # what Starlette falls back to: every byte decodes
    return boundary, charset


class FormTextCheck:
    """Pure ASGI middleware: finds the multipart text fields that are not text (see the module's note)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        form = _form_charset(scope) if scope["type"] == "http" else None
        if form is None:
            await self.app(scope, receive, send)
            return
        boundary, charset = form
        parts = _TextParts(charset)
        parser: MultipartParser | None = MultipartParser(boundary, parts.callbacks())
        scope.setdefault("state", {})[UNDECODABLE_STATE_KEY] = parts.undecodable

        async def checked_receive() -> Message:
            nonlocal parser
            message = await receive()
            if parser is not None and message["type"] == "http.request":
                try:
                    parser.write(message.get("body", b""))
                except MultipartParseError:
                    parser = None  # a malformed body: the app's own parse refuses it
            return message

        await self.app(scope, checked_receive, send)
