"""Cases for tests, submitted through the applications' actions as the web form does."""

from __future__ import annotations

import datetime

from django.utils import timezone

from verbund.applications import actions as application_actions
from verbund.applications import queries as application_queries
from verbund.casework.models import Case
from verbund.catalogue.models import Service
from verbund.finder.resolution import Place


def submit_hundesteuer(
    *, family: str = "Muster", given: str = "Erika", ags: str = "16051000", owner=None
) -> Case:
    """A Hundesteuer application at the Gemeinde of `ags` (default Erfurt), released."""
    service = Service.objects.get(slug="hundesteuer-anmelden")
    version = application_queries.published_version(service)
    assert version is not None
    form = application_queries.form_of(version)
    responsible = application_queries.responsibility(
        service=service, form=form, place=Place(ags=ags)
    )
    draft, _token = application_actions.start_draft(
        service=service, version=version, responsible=responsible, owner=owner, actor="test"
    )
    today = timezone.localdate()
    data = {
        "familienname": family,
        "vornamen": given,
        "anschrift": "Domplatz 1",
        "gemeinde": responsible.gemeinde_name,
        "hunde": [
            {
                "name": "Bello",
                "rasse": "Mischling",
                "wurfdatum": (today - datetime.timedelta(days=400)).isoformat(),
                "haltung_seit": (today - datetime.timedelta(days=10)).isoformat(),
                "grund": "anschaffung",
            }
        ],
    }
    application_actions.save_draft(draft=draft, data=data, step=2, actor="test")
    receipt = application_actions.submit_draft(draft=draft, consent=True, actor="test")
    return Case.objects.select_related("submission").get(pk=receipt.submission.pk)
