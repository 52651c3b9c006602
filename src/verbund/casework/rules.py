"""The workflow and the pure rules of the back office: which transitions are allowed (the
one place that decides it), deadlines, and the blind index of applicant names."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from verbund.applications.types import Submission

Status = Submission.Status

# The workflow (issue 5): eingegangen → in Bearbeitung → Rückfrage → (answered) in Bearbeitung
# → entschieden → abgeschlossen; weitergeleitet and abgelehnt on the way.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.RECEIVED: frozenset({Status.IN_PROGRESS, Status.FORWARDED, Status.REJECTED}),
    # A forwarded case arrives at the new authority like a new one.
    Status.FORWARDED: frozenset({Status.IN_PROGRESS, Status.FORWARDED, Status.REJECTED}),
    Status.IN_PROGRESS: frozenset(
        {Status.INFORMATION_NEEDED, Status.DECIDED, Status.FORWARDED, Status.REJECTED}
    ),
    # The authority may decide on the record when a Rückfrage stays unanswered.
    Status.INFORMATION_NEEDED: frozenset({Status.IN_PROGRESS, Status.DECIDED, Status.REJECTED}),
    Status.DECIDED: frozenset({Status.CLOSED}),
    Status.REJECTED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}

# States in which the case waits for the authority (the inbox's default view).
OPEN = (Status.RECEIVED, Status.FORWARDED, Status.IN_PROGRESS, Status.INFORMATION_NEEDED)
# States of a case in the back office at all (before release it belongs to applications).
BACK_OFFICE = (*OPEN, Status.DECIDED, Status.REJECTED, Status.CLOSED)


def can_transition(current: str, target: str) -> bool:
    return target in TRANSITIONS.get(current, frozenset())


def next_states(current: str) -> list[str]:
    return [s for s in BACK_OFFICE if s in TRANSITIONS.get(current, frozenset())]


def deadline_for(received: datetime.date, processing_days: int) -> datetime.date:
    """Processing-time target: the day of receipt plus the service's target days."""
    return received + datetime.timedelta(days=processing_days)


def is_overdue(deadline: datetime.date, status: str, today: datetime.date) -> bool:
    return status in OPEN and deadline < today


def purge_date(closed: datetime.date, retention_days: int) -> datetime.date:
    return closed + datetime.timedelta(days=retention_days)


# --- blind index of names -------------------------------------------------------------------

_FOLD = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NAME_KEYS = re.compile(
    r"(^|_)(familienname|nachname|vorname|vornamen|geburtsname|name|firma|firmenname)$"
)


def name_tokens(text: str) -> set[str]:
    """Normalised name tokens: case-folded, umlauts spelled out (Müller = Mueller), other
    accents dropped; tokens shorter than two letters are ignored."""
    folded = text.casefold().translate(_FOLD)
    plain = "".join(
        c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c)
    )
    return {t for t in re.split(r"[^a-z0-9]+", plain) if len(t) >= 2}


def applicant_names(data: Any) -> list[str]:
    """The name fields of a form's data (any depth): family, given and company names."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if isinstance(value, str) and _NAME_KEYS.search(str(key).lower()):
                found.append(value)
            elif isinstance(value, dict | list):
                found.extend(applicant_names(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(applicant_names(item))
    return found


def blind_tokens(names: Iterable[str], *, key: bytes, scope: str) -> set[str]:
    """HMAC-SHA256 (truncated to 128 bits) of each token, keyed and scoped to the authority,
    so equal names give unrelated values at different authorities."""
    tokens: set[str] = set()
    for name in names:
        for token in name_tokens(name):
            digest = hmac.new(key, f"{scope}:{token}".encode(), hashlib.sha256).hexdigest()
            tokens.add(digest[:32])
    return tokens


# --- input from the query string -----------------------------------------------------------

_USER_ID = re.compile(r"^[0-9]{1,18}$", re.ASCII)


def parse_user_id(raw: str) -> int | None:
    """A user id as a form or a URL sends it: 1–18 ASCII digits (fits a 64-bit column);
    None for anything else ("²" is a digit to `str.isdigit`, not to the database)."""
    return int(raw) if _USER_ID.match(raw) else None


# --- webhook signature ----------------------------------------------------------------------


def sign_webhook(body: bytes, secret: str, timestamp: str) -> str:
    """`sha256=<hex>` over "<timestamp>.<body>": the receiver checks both, against replay."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# --- the Bescheid (§§ 35, 37, 39 ThürVwVfG) ------------------------------------------------

# § 70 VwGO with § 58 VwGO: the Widerspruch, where and within which period. Thüringen keeps
# the Widerspruchsverfahren as the rule; a service whose law says otherwise (Klage at once)
# carries its own text in the catalogue (`Service.rechtsbehelfsbelehrung`), and an
# authority may replace it for its area (`AuthorityServiceText.rechtsbehelfsbelehrung`).
DEFAULT_RECHTSBEHELFSBELEHRUNG = (
    "Gegen diesen Bescheid kann innerhalb eines Monats nach seiner Bekanntgabe Widerspruch "
    "erhoben werden. Der Widerspruch ist schriftlich, in elektronischer Form nach § 3a "
    "Abs. 2 ThürVwVfG oder zur Niederschrift bei {behoerde}, {anschrift}, einzulegen."
)


def fill_rechtsbehelfsbelehrung(template: str, *, authority: str, address: str) -> str:
    """The catalogue's (or the authority's) text with the issuing authority filled in."""
    text = template.strip() or DEFAULT_RECHTSBEHELFSBELEHRUNG
    return text.replace("{behoerde}", authority).replace("{anschrift}", address)


def _text(data: Any, key: str) -> str:
    value = data.get(key) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""


def addressee_from(data: Any, *, place_plz: str = "", place_name: str = "") -> str:
    """Name and postal address of the applicant as the form recorded them, one line each
    (§ 37 ThürVwVfG: the act names whom it is addressed to); the clerk checks and corrects
    the proposal before the Bescheid is issued."""
    if not isinstance(data, dict):
        return ""
    person: Any = data
    if not _text(data, "familienname"):
        people = data.get("personen")
        if isinstance(people, list) and people and isinstance(people[0], dict):
            person = people[0]
    name = " ".join(p for p in (_text(person, "vornamen"), _text(person, "familienname")) if p)
    organisation = _text(data, "firmenname") or _text(data, "kommune")
    if organisation and name:
        name = f"{organisation}\n{name}"
    else:
        name = name or organisation or _text(data, "ansprechperson")
    street = _text(data, "anschrift") or _text(data, "betriebsstaette")
    if not street:
        street = " ".join(p for p in (_text(data, "strasse"), _text(data, "hausnummer")) if p)
    plz = _text(data, "plz") or place_plz
    city = _text(data, "gemeinde") or _text(data, "ort") or place_name
    town = " ".join(p for p in (plz, city) if p)
    return "\n".join(line for line in (name, street, town) if line)


def decision_errors(*, outcome: str, addressee: str, text: str, reasons: str) -> dict[str, str]:
    """What a generated Bescheid lacks, per form field (empty: complete). § 39 (2) Nr. 1
    ThürVwVfG: reasons may be left out only where the authority grants the application in
    full."""
    from django.utils.translation import gettext as _

    errors: dict[str, str] = {}
    if outcome not in ("granted", "partial", "refused"):
        errors["outcome"] = _("Bitte wählen Sie das Ergebnis.")
    if not addressee.strip():
        errors["addressee"] = _(
            "Bitte geben Sie Name und Anschrift der Adressatin oder des Adressaten an."
        )
    if not text.strip():
        errors["text"] = _("Bitte schreiben Sie die Entscheidung (Tenor).")
    if outcome in ("partial", "refused") and not reasons.strip():
        errors["reasons"] = _(
            "Bitte begründen Sie die Entscheidung: Ein ablehnender Bescheid braucht eine "
            "Begründung (§ 39 ThürVwVfG)."
        )
    return errors


# --- the case history in sentences -----------------------------------------------------------


def describe_event(action: str, details: Any, after: Any) -> str:
    """One audit entry of a case as a German sentence for the case page (the codes stay in
    the audit log and the export)."""
    from django.utils.translation import gettext as _

    details = details if isinstance(details, dict) else {}
    after = after if isinstance(after, dict) else {}
    if action == "application.status_changed" and after.get("status") in Status.values:
        return _("Status geändert: %(s)s.") % {"s": Status(after["status"]).label}
    if action == "casework.decided":
        outcome = {
            "granted": _("stattgegeben"),
            "partial": _("teilweise stattgegeben"),
            "refused": _("abgelehnt"),
        }.get(str(details.get("outcome", "")), "")
        return (
            _("Bescheid erlassen (%(o)s) und zugestellt.") % {"o": outcome}
            if outcome
            else _("Bescheid erlassen und zugestellt.")
        )
    if action == "casework.received" and details.get("deadline"):
        try:
            deadline = datetime.date.fromisoformat(str(details["deadline"]))
        except ValueError:
            return _("Im Posteingang der Behörde eingegangen.")
        return _("Im Posteingang der Behörde eingegangen; Bearbeitungsfrist %(d)s.") % {
            "d": deadline.strftime("%d.%m.%Y")
        }
    sentences = {
        "application.submitted": _("Antrag eingereicht."),
        "application.released": _("Antrag freigegeben und an die Behörde übermittelt."),
        "application.decrypted": _("Angaben entschlüsselt und angesehen."),
        "application.resealed": _("Angaben für die neue Behörde verschlüsselt."),
        "application.payment_requested": _("Zahlung angefordert."),
        "application.payment_status": _("Zahlungsstatus erhalten."),
        "application.attachment_uploaded": _("Anhang hochgeladen."),
        "casework.received": _("Im Posteingang der Behörde eingegangen."),
        "casework.name_indexed": _("Name für die Suche im Posteingang erfasst."),
        "casework.taken": _("Vorgang übernommen."),
        "casework.assigned": _("Zuweisung geändert."),
        "casework.information_requested": _("Rückfrage an die antragstellende Person gesendet."),
        "casework.information_received": _("Antwort auf die Rückfrage erhalten."),
        "casework.rejected": _("Antrag als unzulässig abgelehnt."),
        "casework.closed": _("Vorgang abgeschlossen."),
        "casework.forwarded": _("An eine andere Behörde weitergeleitet."),
        "casework.note_added": _("Interne Notiz hinzugefügt."),
        "casework.status_from_handoff": _("Status vom Fachverfahren gemeldet."),
        "casework.webhook_sent": _("Fachverfahren benachrichtigt."),
        "casework.webhook_failed": _("Benachrichtigung des Fachverfahrens fehlgeschlagen."),
    }
    return sentences.get(action, action)
