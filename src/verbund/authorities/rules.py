"""Leitweg-ID rules (pure functions).

A Leitweg-ID routes an electronic invoice to a public recipient (BT-10 BuyerReference):
`Grob[-Fein]-PP`. Grob: 2-12 digits of lengths 2, 3, 5, 8, 9 or 12 (Land, +RB, +Kreis,
+Gemeinde, ...; 99 is the Bund). Fein: up to 30 characters [A-Z0-9], case-insensitive.
PP: check digits after ISO 7064 MOD 97-10 over Grob+Fein with letters A=10 … Z=35,
as fixed by the KoSIT "Formatspezifikation Leitweg-ID".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from verbund.core.errors import InvalidInput

GROB_LENGTHS = (2, 3, 5, 8, 9, 12)
LEITWEG_PATTERN = re.compile(r"^(?P<grob>\d{2,12})(?:-(?P<fein>[A-Za-z0-9]{1,30}))?-(?P<pp>\d{2})$")


@dataclass(frozen=True)
class LeitwegId:
    grob: str
    fein: str
    pp: str

    def __str__(self) -> str:
        return "-".join(part for part in (self.grob, self.fein, self.pp) if part)


class InvalidLeitwegId(InvalidInput):
    code = "invalid_leitweg_id"


def _numeric(text: str) -> str:
    """Letters become two-digit numbers (A=10 … Z=35), as ISO 7064 prescribes."""
    return "".join(str(int(ch, 36)) for ch in text.upper())


def leitweg_check_digits(grob: str, fein: str = "") -> str:
    """The two check digits PP for Grob and Fein: 98 - (number · 100 mod 97)."""
    number = int(_numeric(grob + fein))
    return f"{98 - (number * 100) % 97:02d}"


def parse_leitweg_id(value: str) -> LeitwegId:
    """Validate format and check digits; raise InvalidLeitwegId with the reason."""
    text = value.strip()
    match = LEITWEG_PATTERN.match(text)
    if match is None:
        raise InvalidLeitwegId(
            f"„{value}“ hat nicht das Format einer Leitweg-ID (Grobadressierung-"
            f"Feinadressierung-Prüfziffer, z. B. 16069042-0001-83)."
        )
    grob, fein, pp = match["grob"], (match["fein"] or "").upper(), match["pp"]
    if len(grob) not in GROB_LENGTHS:
        raise InvalidLeitwegId(
            f"Die Grobadressierung „{grob}“ hat {len(grob)} Ziffern; zulässig sind "
            f"2, 3, 5, 8, 9 oder 12."
        )
    expected = leitweg_check_digits(grob, fein)
    if pp != expected or int(_numeric(grob + fein + pp)) % 97 != 1:
        raise InvalidLeitwegId(f"Die Prüfziffer von „{value}“ stimmt nicht (erwartet {expected}).")
    return LeitwegId(grob=grob, fein=fein, pp=pp)


def make_leitweg_id(grob: str, fein: str = "") -> LeitwegId:
    """Build a valid Leitweg-ID for Grob and Fein by computing the check digits."""
    fein = fein.upper()
    return parse_leitweg_id(
        "-".join(p for p in (grob, fein, leitweg_check_digits(grob, fein)) if p)
    )
