"""Demo data of the catalogue: the curated starter catalogue (starter.toml)."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.db import transaction

from verbund.catalogue.models import Service

STARTER = Path(__file__).resolve().parent / "starter.toml"


def starter_services() -> list[dict[str, Any]]:
    with STARTER.open("rb") as fh:
        return list(tomllib.load(fh)["service"])


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    entries = starter_services()
    for entry in entries:
        fields = {k: v for k, v in entry.items() if k != "slug"}
        Service.objects.update_or_create(
            slug=entry["slug"], defaults={**fields, "is_curated": True}
        )
    out(f"{len(entries)} redaktionell gepflegte Leistungen.")
