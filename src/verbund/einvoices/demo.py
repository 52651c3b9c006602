"""Demo e-invoices: a few invoices of the KoSIT test suite (from ../shared/data), their
BT-10 rewritten to a demo authority's Leitweg-ID, received through the upload channel.
Idempotent: receipt recognises the same bytes by their SHA-256."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from verbund.authorities import queries as authority_queries
from verbund.core.errors import DomainError
from verbund.einvoices.actions import receive_invoice
from verbund.einvoices.models import Channel

ACTOR = "load-demo"
# (test-suite file, name of the receiving demo authority)
DEMO_INVOICES = [
    (
        "business-cases/standard/01.01a-INVOICE_ubl.xml",
        "Verwaltungsgemeinschaft Hanstein-Rusteberg",
    ),
    (
        "business-cases/standard/01.02a-INVOICE_uncefact.xml",
        "Verwaltungsgemeinschaft Hanstein-Rusteberg",
    ),
    ("business-cases/standard/03.01a-INVOICE_ubl.xml", "Stadtverwaltung Erfurt"),
]
BUYER_REFERENCE = re.compile(
    rb"(<(?:[\w.-]+:)?BuyerReference>)[^<]*(</(?:[\w.-]+:)?BuyerReference>)"
)


def with_buyer_reference(data: bytes, leitweg_id: str) -> bytes:
    """The invoice with BT-10 (BuyerReference) set to `leitweg_id`, otherwise unchanged."""
    return BUYER_REFERENCE.sub(lambda m: m[1] + leitweg_id.encode() + m[2], data, count=1)


def load(*, out: Callable[[str], None]) -> None:
    suite = Path(settings.VERBUND_DATA_DIR) / "xrechnung" / "testsuite"
    if not suite.is_dir():
        out(
            f"Keine XRechnung-Testsuite in {suite.parent.parent} (VERBUND_DATA_DIR); "
            "Demo-Rechnungen übersprungen. `verbund fetch-data` holt sie."
        )
        return
    received = 0
    for relative, authority_name in DEMO_INVOICES:
        path = suite / relative
        authority = (
            authority_queries.all_authorities().filter(name=authority_name).order_by("pk").first()
        )
        leitweg = authority.leitweg_ids.filter(active=True).first() if authority else None
        if not path.is_file() or leitweg is None:
            continue
        data = with_buyer_reference(path.read_bytes(), leitweg.value)
        try:
            receipt = receive_invoice(
                data=data, channel=Channel.UPLOAD, actor=ACTOR, filename=path.name
            )
        except (DomainError, NotImplementedError) as exc:
            out(f"Demo-Rechnung {path.name} nicht eingegangen: {exc}")
            continue
        received += receipt.created
    out(f"{received} Demo-Rechnungen neu eingegangen (Testsuite, BT-10 auf Demo-Behörden).")
