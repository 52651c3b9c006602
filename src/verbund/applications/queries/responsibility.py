"""Who receives an application for a service and place, and whether it is offered online there."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from verbund.applications import extensions
from verbund.applications.formschema import Form
from verbund.applications.queries.forms import _FORMS, published_version
from verbund.authorities import queries as authority_queries
from verbund.authorities.types import Authority, EncryptionKey
from verbund.catalogue.extensions import ServiceAction
from verbund.catalogue.types import Service
from verbund.core.errors import NotFound
from verbund.core.memo import Memo
from verbund.finder.extensions import OnlineOffer
from verbund.finder.queries import resolve
from verbund.finder.types import Basis, Place


@dataclass
class Responsibility:
    """Who receives the application, and why (the finder's answer, or the form's designated
    authority for services the finder cannot place yet)."""

    authority: Authority | None
    basis: str
    explanation: str
    candidates: list[Any] = field(default_factory=list)
    gemeinde_name: str = ""
    gemeinde_ags: str = ""

    @property
    def is_ambiguous(self) -> bool:
        return self.authority is None and bool(self.candidates)


# Responsibility answers by service and place, kept briefly per process: the finder's answer
# needs a dozen queries, and the API asks the same question for every submission from a place.
# The answer may lag a change of the directories by at most this many seconds.
RESPONSIBILITY_TTL = 60.0

_RESPONSIBILITY: dict[tuple[Any, ...], tuple[float, Responsibility]] = {}

_RESPONSIBILITY_MAX = 4096


def responsibility_cached(*, service: Service, form: Form, place: Place | None) -> Responsibility:
    """`responsibility` for the submission API, memoised for `RESPONSIBILITY_TTL` seconds."""
    key = (
        service.pk,
        service.level,
        service.wirkungskreis,
        form.designated_authority,
        place,
        translation.get_language(),
    )
    now = time.monotonic()
    hit = _RESPONSIBILITY.get(key)
    if hit is not None and now - hit[0] < RESPONSIBILITY_TTL:
        return hit[1]
    answer = responsibility(service=service, form=form, place=place)
    if len(_RESPONSIBILITY) >= _RESPONSIBILITY_MAX:
        _RESPONSIBILITY.clear()
    _RESPONSIBILITY[key] = (now, answer)
    return answer


def clear_caches() -> None:
    _FORMS.clear()
    _RESPONSIBILITY.clear()


def responsibility(*, service: Service, form: Form, place: Place | None) -> Responsibility:
    answer = None
    if place is not None:
        answer = resolve(service=service, place=place)
        if answer.authority is not None or answer.is_ambiguous:
            return Responsibility(
                authority=answer.authority,
                basis=str(answer.basis),
                explanation=answer.explanation,
                candidates=list(answer.candidates),
                gemeinde_name=answer.gemeinde.display_name if answer.gemeinde else "",
                gemeinde_ags=answer.gemeinde.ags if answer.gemeinde else "",
            )
    if form.designated_authority:
        authority = authority_queries.get_authority(form.designated_authority)
        return Responsibility(
            authority=authority,
            basis=str(Basis.DESIGNATED_AUTHORITY),
            explanation=_("Anträge für diese Leistung gehen an %(name)s.")
            % {"name": authority.name},
            gemeinde_name=answer.gemeinde.display_name if answer and answer.gemeinde else "",
            gemeinde_ags=answer.gemeinde.ags if answer and answer.gemeinde else "",
        )
    return Responsibility(
        authority=None,
        basis=str(Basis.NO_AUTHORITY),
        explanation=answer.explanation
        if answer
        else _("Für diese Leistung ist noch keine zuständige Behörde erfasst."),
    )


def destination(slug: str) -> Authority:
    """A receiving authority (FIT-Connect: destination); only tenants receive submissions."""
    authority = authority_queries.all_authorities().filter(slug=slug).first()
    if authority is None:
        raise NotFound(f"Es gibt keine Behörde „{slug}“.", code="unknown_authority")
    if not authority.is_tenant:
        raise NotFound(
            _("Diese Behörde nimmt keine Online-Anträge an."), code="unknown_destination"
        )
    return authority


def destination_with_key(slug: str) -> tuple[Authority, EncryptionKey | None]:
    """The destination with its active encryption key in one query (None before the first
    key has been generated; `authorities.actions.ensure_encryption_key` makes it then).
    Only the columns the API needs are read: this runs for every announced submission."""
    key = authority_queries.active_key_by_slug(slug)
    if key is None:
        return destination(slug), None
    if not key.authority.is_tenant:
        raise NotFound(
            _("Diese Behörde nimmt keine Online-Anträge an."), code="unknown_destination"
        )
    return key.authority, key


_DESTINATIONS: Memo[tuple[Authority, EncryptionKey]] = Memo()


class _NoKeyYet(Exception):
    pass


def destination_with_key_kept(slug: str) -> tuple[Authority, EncryptionKey | None]:
    """`destination_with_key`, kept per process (`core.memo`): the announcement's insert
    names the key only while it is still the destination's active key
    (`authorities.queries.key_if_still_active`), so a key retired meanwhile is never used;
    the announcement then reads again (`forget_destination`)."""

    def read() -> tuple[Authority, EncryptionKey]:
        authority, key = destination_with_key(slug)
        if key is None:
            raise _NoKeyYet
        return authority, key

    try:
        return _DESTINATIONS.get(slug, read)
    except _NoKeyYet:
        return destination(slug), None


def forget_destination(slug: str) -> None:
    _DESTINATIONS.forget(slug)


def online_application_action(service: Service) -> ServiceAction | None:
    """The service page's "Online beantragen" button, when a published form exists."""
    if published_version(service) is None:
        return None
    if extensions.online_depends_on_place(service):
        # Rolled out per authority: the start page asks for the place first and says
        # plainly when the service is not online there.
        return ServiceAction(
            label=_("Online-Antrag: an Ihrem Ort verfügbar?"),
            url=reverse("applications:start", args=[service.slug]),
            primary=True,
        )
    return ServiceAction(
        label=_("Online beantragen"),
        url=reverse("applications:start", args=[service.slug]),
        primary=True,
    )


def not_online_note(authority: Authority) -> str:
    return _(
        "%(name)s bietet diese Leistung nicht online an. Sie können sie dort persönlich, "
        "schriftlich oder per E-Mail beantragen; die Kontaktdaten stehen hier."
    ) % {"name": authority.name}


def online_offer(service: Service, authority: Authority, gemeinde_ags: str) -> OnlineOffer | None:
    """The finder's answer: "Online beantragen" where the form may be used, else a plain note."""
    if published_version(service) is None:
        return None
    if not extensions.online_offered(service, authority):
        return OnlineOffer(note=not_online_note(authority))
    url = reverse("applications:start", args=[service.slug])
    return OnlineOffer(url=f"{url}?{urlencode({'ags': gemeinde_ags})}" if gemeinde_ags else url)
