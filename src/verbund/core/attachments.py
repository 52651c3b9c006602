"""Checks of uploaded files: size, count, type by content (magic bytes), virus scan."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import puremagic
from django.conf import settings
from django.utils.translation import gettext as _

from verbund.core.errors import DomainError, InvalidInput
from verbund.integrations import clamd

# puremagic may name a type several ways; these are the names we accept for the settings'
# media types
_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": "application/pdf",
}
_LABELS = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


class ScannerUnavailable(DomainError):
    status = 503
    code = "virus_scanner_unavailable"


@dataclass(frozen=True)
class CheckedFile:
    media_type: str
    scan_status: str


def allowed_types_label(types: list[str] | tuple[str, ...] | None = None) -> str:
    return ", ".join(_LABELS.get(t, t) for t in (types or settings.VERBUND_ATTACHMENT_TYPES))


def detect_media_type(content: bytes) -> str | None:
    """The media type the content shows by its magic bytes, or None when unknown."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    try:
        matches = puremagic.magic_string(content[:8192])
    except (puremagic.PureError, ValueError):
        return None
    for match in matches:
        if match.mime_type:
            return _ALIASES.get(match.mime_type, match.mime_type)
    return None


def check_upload(
    *, filename: str, content: bytes, existing_count: int, accept: tuple[str, ...] = ()
) -> CheckedFile:
    """Refuse what is too large, too many, of the wrong type or infected; say why in German."""
    limit = settings.VERBUND_ATTACHMENT_MAX_BYTES
    if not content:
        raise InvalidInput(_("Die Datei „%(name)s“ ist leer.") % {"name": filename}, code="empty")
    if len(content) > limit:
        raise InvalidInput(
            _("Die Datei „%(name)s“ ist größer als %(mb)s MB.")
            % {"name": filename, "mb": f"{limit / 1024 / 1024:g}".replace(".", ",")},
            code="attachment_too_large",
        )
    if existing_count >= settings.VERBUND_ATTACHMENT_MAX_COUNT:
        raise InvalidInput(
            _("Ein Antrag kann höchstens %(n)d Anhänge haben.")
            % {"n": settings.VERBUND_ATTACHMENT_MAX_COUNT},
            code="too_many_attachments",
        )
    allowed = [t for t in settings.VERBUND_ATTACHMENT_TYPES if not accept or t in accept]
    media_type = detect_media_type(content)
    if media_type not in allowed:
        raise InvalidInput(
            _("Die Datei „%(name)s“ ist keine erlaubte Datei (erlaubt: %(types)s).")
            % {"name": filename, "types": allowed_types_label(allowed)},
            code="attachment_type",
        )
    return CheckedFile(media_type=media_type, scan_status=scan(content=content, filename=filename))


def scan(*, content: bytes, filename: str) -> str:
    """Scan with clamd when configured: `clean`, or `not_scanned` when no scanner is set up."""
    address = settings.VERBUND_CLAMD
    if not address:
        return "not_scanned"
    try:
        result = clamd.scan_bytes(address, content, timeout=settings.VERBUND_CLAMD_TIMEOUT)
    except clamd.ScannerUnavailable:
        raise ScannerUnavailable(
            _(
                "Die Virenprüfung ist gerade nicht erreichbar. Ihre Datei wurde nicht "
                "gespeichert; bitte versuchen Sie es in einigen Minuten erneut."
            )
        ) from None
    if not result.clean:
        raise InvalidInput(
            _("In der Datei „%(name)s“ wurde Schadsoftware gefunden (%(sig)s).")
            % {"name": filename, "sig": result.signature},
            code="attachment_infected",
        )
    return "clean"


def safe_filename(name: str, *, fallback: str) -> str:
    """A file name fit for a download header and a page: no control characters (CR/LF),
    no path, at most 200 characters; `fallback` when nothing is left."""
    cleaned = "".join(
        " " if unicodedata.category(c) in {"Cc", "Cf", "Zl", "Zp"} else c for c in name
    )
    cleaned = cleaned.replace("/", "_").replace("\\", "_").strip(" .")
    return cleaned[:200] or fallback
