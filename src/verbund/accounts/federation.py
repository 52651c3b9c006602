"""What an external identity provider (BundID over SAML, others over OIDC) tells about a
person after a successful login, in provider-neutral form."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from verbund.accounts.rules import TrustLevel


@dataclass(frozen=True)
class FederatedLogin:
    provider: str  # "bundid" or "oidc:<name>"
    subject: str  # bPK2 for BundID, `sub` for OIDC: the stable identifier
    trust_level: TrustLevel
    email: str = ""
    given_name: str = ""
    family_name: str = ""
    birth_date: datetime.date | None = None
    street: str = ""
    postal_code: str = ""
    city: str = ""
    postkorb_handle: str = ""

    @property
    def method(self) -> str:
        return "bundid" if self.provider == "bundid" else "oidc"


class FederationError(Exception):
    """A refused federated login, with a German message for the person."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
