"""What a correctly signed token's claims must also say before it is accepted: a role this service serves
(Supabase signs its public `anon` tokens with the same secret as its users' tokens), and a lifetime,
`exp - iat`, no longer than allowed (a leaked token stays useful for as long as it lives)."""

from dataclasses import dataclass
from typing import Any

ROLE_CLAIM = "role"


@dataclass(frozen=True)
class ClaimRules:
    roles: frozenset[str]  # accepted `role` claims; empty: any role, or none
    max_lifetime_s: int  # the longest `exp - iat` accepted; 0: any

    @property
    def required(self) -> list[str]:
        """Claims PyJWT must find, besides those it checks itself (`aud`, `iss`)."""
        return ["exp", *(["iat"] if self.max_lifetime_s else []), *([ROLE_CLAIM] if self.roles else [])]

    def refusal(self, claims: dict[str, Any]) -> str | None:
        """Why these claims are refused, or None. PyJWT has already checked that exp and iat are numbers."""
        if self.roles and claims[ROLE_CLAIM] not in self.roles:
            return "the bearer token's role is not accepted"
        if self.max_lifetime_s and float(claims["exp"]) - float(claims["iat"]) > self.max_lifetime_s:
            return f"the bearer token lives longer than the {self.max_lifetime_s} s allowed (exp - iat)"
        return None
