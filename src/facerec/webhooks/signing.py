"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, so a receiver can check both who sent a
delivery and that it is fresh (a replayed old delivery carries an old timestamp)."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-Facerec-Signature"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The header value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>." + body under the secret>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes) -> int | None:
    """The signed timestamp when the header signs the body under the secret, else None: what a receiver
    does (it should also refuse a timestamp too far from its clock)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    timestamp = fields.get("t", "")
    if not timestamp.isdigit():
        return None
    expected = signature(secret, int(timestamp), body)
    return int(timestamp) if hmac.compare_digest(expected, header) else None
