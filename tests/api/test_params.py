"""The validators of names, URLs and cursors on their own (the API tests send the same values end to end)."""

import pytest

from facerec.api.params import MAX_NAME_LENGTH, check_image_url, clean_name, decode_cursor
from facerec.api.text import unstorable, unstorable_strings
from facerec.errors import InvalidCursor


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Ada Lovelace", "Ada Lovelace"),
        ("  Ada\t", "Ada"),
        ("Jose\u0301", "Jos\u00e9"),  # NFD in, NFC stored
        ("\u212bngstr\u00f6m", "\u00c5ngstr\u00f6m"),  # the Angstrom sign is the letter A with ring
        ("\u200bAda\u200d\ufeff", "Ada"),  # invisible characters at either end go
        ("Ana\u00a0Mar\u00eda", "Ana\u00a0Mar\u00eda"),  # inside, spaces of any kind stay
        ("\U0001f468\u200d\U0001f469", "\U0001f468\u200d\U0001f469"),  # a joiner inside an emoji stays
        ("\u05e9\u05dc\u05d5\u05dd", "\u05e9\u05dc\u05d5\u05dd"),  # right-to-left letters are fine
        ("O'Brien; DROP TABLE faces", "O'Brien; DROP TABLE faces"),
        ("e\u0301" * MAX_NAME_LENGTH, "\u00e9" * MAX_NAME_LENGTH),  # counted once composed
        ("n" * MAX_NAME_LENGTH, "n" * MAX_NAME_LENGTH),
    ],
)
def test_names_are_stored_composed_and_trimmed(sent: str, stored: str) -> None:
    assert clean_name(sent) == stored


@pytest.mark.parametrize(
    ("sent", "reason"),
    [
        ("", "visible"),
        (" \t\n ", "visible"),
        ("\u200b\u200c\u200d\u2060\ufeff", "visible"),
        ("\u3164", "visible"),
        ("\u115f\u1160\uffa0", "visible"),
        ("\u2800 \u180e", "visible"),
        ("\u0301\u20dd", "visible"),
        ("\u2028\u2029", "visible"),
        ("n" * (MAX_NAME_LENGTH + 1), "at most"),
        ("bell\x07", "control"),
        ("a\tb", "control"),
        ("a\x85b", "control"),
        *[(f"Ada{char}x", "bidirectional") for char in "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e"],
        *[(f"{char}Ada", "bidirectional") for char in "\u2066\u2067\u2068\u2069"],
    ],
)
def test_names_that_look_empty_or_reorder_text_are_refused(sent: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        clean_name(sent)


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/a.jpg",
        "http://example.org:8080/p?q=1#f",
        "HTTPS://EXAMPLE.ORG/A.JPG",
        "/api/face/1/image",
        "photos/a%20b.jpg",
        "?size=large",
        "",
    ],
)
def test_http_urls_and_relative_paths_are_accepted(url: str) -> None:
    assert check_image_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "vbscript:msgbox",
        "data:image/png;base64,AAAA",
        "file:///etc/passwd",
        "ftp://example.org/a.jpg",
        "blob:https://example.org/1",
        "//evil.example/a.jpg",
        "https:///a.jpg",
        "http:a.jpg",
        "a:b",
        "/\\evil.example",
        " https://example.org",
        "https://exa mple.org",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        "\u200bjavascript:alert(1)",
        "https://[::1",
    ],
)
def test_other_schemes_hosts_and_hidden_characters_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="must"):
        check_image_url(url)


@pytest.mark.parametrize("cursor", ["A" * 257, "a=b", "a+b", "a/b", "a.b", "", "\u00e9"])
def test_a_cursor_of_the_wrong_shape_is_refused_before_decoding(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor)


def test_unstorable_text_is_nul_and_lone_surrogates_only() -> None:
    assert unstorable("ok \U0001f600 \u00e9 \ufffe \x01") is None
    assert unstorable("a\x00b") == "must not contain the NUL character (U+0000)"
    assert unstorable("a\ud800") is not None
    assert unstorable("\udfff") is not None
    assert unstorable("\ud7ff\ue000") is None  # the code points either side of the surrogates


def test_every_string_of_a_json_value_is_located() -> None:
    value = {"ok": ["fine", {"\x00": "x", "k": "\ud800"}], "n": 1, "b": None}
    found = {(detail.field, detail.message[:16]) for detail in unstorable_strings(value, "body")}
    assert found == {("body.ok.1 (a key)", "must not contain"), ("body.ok.1.k", "must not contain")}
