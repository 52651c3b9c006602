"""Demo data of the back office: a few Hundesteuer cases at the Stadtverwaltung Erfurt for
the demo clerk `sb.erfurt`, in different states, and processing/retention periods for the
demo services. Idempotent: cases are created only while fewer than `CASES` exist."""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from verbund.accounts import queries as account_queries
from verbund.applications import actions as application_actions
from verbund.applications import queries as application_queries
from verbund.authorities import queries as authority_queries
from verbund.casework import actions
from verbund.casework.models import Case, ServiceTerms
from verbund.catalogue import queries as catalogue_queries
from verbund.finder.types import Place

ACTOR = "load-demo"
AUTHORITY = "Stadtverwaltung Erfurt"
CLERK = "sb.erfurt"
SERVICE = "hundesteuer-anmelden"
TERMS = {"hundesteuer-anmelden": (14, 3650), "wohnsitz-anmelden": (3, 730)}
HOLDERS = [
    ("Müller", "Jana", "Bello"),
    ("Schneider", "Tom", "Luna"),
    ("Weiß", "Günter", "Rex"),
    ("Krüger", "Anna", "Frieda"),
]
CASES = len(HOLDERS)


def _dog(name: str, today: datetime.date) -> dict[str, str]:
    return {
        "name": name,
        "rasse": "Mischling",
        "wurfdatum": (today - datetime.timedelta(days=400)).isoformat(),
        "haltung_seit": (today - datetime.timedelta(days=20)).isoformat(),
        "grund": "anschaffung",
    }


@transaction.atomic
def load(*, out: Callable[[str], None]) -> None:
    for slug, (processing, retention) in TERMS.items():
        service = catalogue_queries.all_services().filter(slug=slug).first()
        if service is not None and not ServiceTerms.objects.filter(service=service).exists():
            actions.set_service_terms(
                service=service,
                processing_days=processing,
                retention_days=retention,
                actor=ACTOR,
            )
    authority = authority_queries.all_authorities().filter(name=AUTHORITY).first()
    service = catalogue_queries.all_services().filter(slug=SERVICE).first()
    clerk = account_queries.find_user_by_login(CLERK)
    if authority is None or service is None or clerk is None:
        out("Sachbearbeitung: Demobehörde, Leistung oder Demokonto fehlen; übersprungen.")
        return
    version = application_queries.published_version(service)
    if version is None:
        out("Sachbearbeitung: kein Formular für die Hundesteuer; übersprungen.")
        return
    existing = Case.objects.filter(submission__authority=authority).count()
    form = application_queries.form_of(version)
    today = timezone.localdate()
    created = 0
    for index, (family, given, dog) in enumerate(HOLDERS[existing:], start=existing):
        responsible = application_queries.responsibility(
            service=service, form=form, place=Place(ags="16051000")
        )
        if responsible.authority != authority:
            out("Sachbearbeitung: Hundesteuer in Erfurt ist woanders zuständig; übersprungen.")
            return
        draft, _token = application_actions.start_draft(
            service=service, version=version, responsible=responsible, actor=ACTOR
        )
        data = {
            "familienname": family,
            "vornamen": given,
            "anschrift": f"Domplatz {index + 1}",
            "gemeinde": "Erfurt",
            "hunde": [_dog(dog, today)],
        }
        application_actions.save_draft(draft=draft, data=data, step=2, actor=ACTOR)
        receipt = application_actions.submit_draft(draft=draft, consent=True, actor=ACTOR)
        case = Case.objects.get(pk=receipt.submission.pk)
        if index >= 1:
            actions.take_case(case=case, actor=clerk)
        if index >= 2:
            actions.add_note(case=case, text="Chipnummer telefonisch nachfragen.", actor=clerk)
        if index == 3:
            # The overdue case: received 17 days ago, so its 14-day target lies 3 days back
            # (the deadline always follows from the receipt, never precedes it).
            received = timezone.now() - datetime.timedelta(days=TERMS[SERVICE][0] + 3)
            type(receipt.submission).objects.filter(pk=case.pk).update(
                submitted_at=received, released_at=received
            )
            Case.objects.filter(pk=case.pk).update(
                deadline=timezone.localdate(received) + datetime.timedelta(days=TERMS[SERVICE][0])
            )
        created += 1
    out(f"Sachbearbeitung: {existing + created} Demovorgänge in {AUTHORITY} ({created} neu).")
