"""Demo data of the applications domain: the online forms shipped in `forms/*.json`.

Each file is the form of the catalogue service with the same slug. Loading again publishes a
new version only when a file changed, so published versions stay as they were.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from django.db import transaction

from verbund.applications.actions import save_form_version
from verbund.applications.models import FormSource
from verbund.catalogue import queries as catalogue_queries

FORMS = Path(__file__).resolve().parent / "forms"
ACTOR = "load-demo"


def shipped_forms() -> list[Path]:
    return sorted(FORMS.glob("*.json"))


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    published = 0
    for path in shipped_forms():
        schema = json.loads(path.read_text(encoding="utf-8"))
        service = catalogue_queries.services().filter(slug=path.stem).first()
        if service is None:
            out(f"Leistung {path.stem} fehlt im Katalog; Formular übersprungen.")
            continue
        _version, created = save_form_version(
            key=path.stem,
            name=str(schema.get("title", service.name)),
            schema=schema,
            source=FormSource.BUILTIN,
            service=service,
            actor=ACTOR,
            publish=True,
        )
        published += created
    out(f"{len(shipped_forms())} Online-Formulare ({published} neue Versionen veröffentlicht).")
