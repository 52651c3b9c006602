"""Pure rules of the Servicekonto: trust levels and who needs a second factor."""

from __future__ import annotations

import enum

from django.db import models
from django.utils.translation import gettext_lazy as _

# STORK QAA levels as BundID requests and reports them (SAML AuthnContextClassRef and
# the trust-level attribute). Level 1/2: Basisregistrierung (user name and password),
# 3: substanziell (ELSTER certificate), 4: hoch (Online-Ausweisfunktion, eID).
STORK_QAA_PREFIX = "STORK-QAA-Level-"


class TrustLevel(models.TextChoices):
    """Vertrauensniveau (eIDAS levels of assurance), ordered from low to high."""

    BASIC = "basic", _("normal (Basisregistrierung)")
    SUBSTANTIAL = "substantial", _("substanziell")
    HIGH = "high", _("hoch")

    @property
    def rank(self) -> int:
        return list(TrustLevel).index(self)

    def at_least(self, other: TrustLevel | str) -> bool:
        return self.rank >= TrustLevel(other).rank


class LoginMethod(models.TextChoices):
    PASSWORD = "password", _("Passwort")
    BUNDID = "bundid", _("BundID (DeutschlandID)")
    OIDC = "oidc", _("OpenID Connect")


class SecondFactor(enum.StrEnum):
    TOTP = "totp"
    PASSKEY = "passkey"


# A password proves nothing about who the holder is: a self-registered account is basic
# whatever second factor protects it. Higher levels come only from an identity provider
# that checked an identity document (BundID with ELSTER or the eID card).
PASSWORD_TRUST_LEVEL = TrustLevel.BASIC


class UnknownTrustLevel(ValueError):
    pass


def trust_level_from_stork(value: str) -> TrustLevel:
    """Map `STORK-QAA-Level-n` (or the bare digit) to Verbund's trust level."""
    digit = value.strip().removeprefix(STORK_QAA_PREFIX)
    levels = {
        "1": TrustLevel.BASIC,
        "2": TrustLevel.BASIC,
        "3": TrustLevel.SUBSTANTIAL,
        "4": TrustLevel.HIGH,
    }
    if digit not in levels:
        raise UnknownTrustLevel(f"unknown STORK QAA level {value!r}")
    return levels[digit]


def stork_rank(value: str) -> int:
    """1 … 4 for `STORK-QAA-Level-1` … `-4`."""
    digit = value.strip().removeprefix(STORK_QAA_PREFIX)
    if digit not in {"1", "2", "3", "4"}:
        raise UnknownTrustLevel(f"unknown STORK QAA level {value!r}")
    return int(digit)


def needs_second_factor(*, kind: str, is_staff: bool, is_superuser: bool, has_device: bool) -> bool:
    """Staff of authorities, Land operators and admin users must always present a second
    factor; citizens and organisations only when they have set one up."""
    if kind in {"staff", "operator"} or is_staff or is_superuser:
        return True
    return has_device
