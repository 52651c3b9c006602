"""Content checks of uploaded distribution files, as for application attachments: size,
type by content (magic bytes, not the name), virus scan (clamd when configured)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from verbund.core.attachments import detect_media_type, scan
from verbund.core.errors import InvalidInput
from verbund.opendata import rules

# Media types that magic bytes may show for a text file
TEXT_TYPES = {"application/json", "application/geo+json", "application/xml", "image/svg+xml"}


@dataclass(frozen=True)
class CheckedFile:
    format: str
    media_type: str
    scan_status: str


def check_distribution_file(*, filename: str, content: bytes, format: str) -> CheckedFile:
    """Refuse an empty, too large, mislabelled or infected file; say why in German."""
    if not content:
        raise InvalidInput(_("Die Datei „%(name)s“ ist leer.") % {"name": filename}, code="empty")
    limit = settings.VERBUND_OPENDATA_MAX_BYTES
    if len(content) > limit:
        raise InvalidInput(
            _("Die Datei „%(name)s“ ist größer als %(mb)s MB.")
            % {"name": filename, "mb": f"{limit / 1024 / 1024:g}".replace(".", ",")},
            code="file_too_large",
        )
    if format not in rules.FORMATS:
        raise InvalidInput(
            _("Das Format „%(format)s“ kann nicht hochgeladen werden.") % {"format": format},
            code="unknown_format",
        )
    detected = detect_media_type(content)
    if format in rules.TEXT_FORMATS:
        _check_text(filename=filename, content=content, format=format, detected=detected)
    elif detected not in rules.BINARY_SIGNATURES.get(format, set()):
        raise InvalidInput(
            _("Der Inhalt der Datei „%(name)s“ ist kein %(format)s.")
            % {"name": filename, "format": format},
            code="content_mismatch",
        )
    return CheckedFile(
        format=format,
        media_type=rules.FORMATS[format],
        scan_status=scan(content=content, filename=filename),
    )


def _check_text(*, filename: str, content: bytes, format: str, detected: str | None) -> None:
    mismatch = InvalidInput(
        _("Der Inhalt der Datei „%(name)s“ ist kein %(format)s.")
        % {"name": filename, "format": format},
        code="content_mismatch",
    )
    if detected is not None and not (detected.startswith("text/") or detected in TEXT_TYPES):
        raise mismatch
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(
            _("Die Datei „%(name)s“ ist nicht UTF-8-kodiert.") % {"name": filename},
            code="encoding",
        ) from None
    if "\x00" in text:
        raise mismatch
    if format in {"JSON", "GEOJSON"}:
        try:
            json.loads(text)
        except ValueError:
            raise mismatch from None
    if format == "XML":
        parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        try:
            etree.fromstring(content, parser)
        except etree.XMLSyntaxError:
            raise mismatch from None
