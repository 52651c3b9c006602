"""What the receiving authority reads from a submission, checked against its documented
shape when it is opened (pure functions, no database).

API submissions arrive sealed: the platform cannot check them on receipt, so a sender can
encrypt anything. The clerk's case page must then show what is wrong instead of failing.

The metadata (`encryptedMetadata`, see docs/api.md) is a JSON object; `attachments` is a
list of objects with the string members `id`, `filename`, `mediaType` and `sha256`. The form
data (`encryptedData`) is a JSON object. Both are nested at most `MAX_DEPTH` levels.
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.translation import gettext as _

MAX_DEPTH = 64
ATTACHMENT_MEMBERS = ("id", "filename", "mediaType", "sha256")


def depth_of(value: Any, *, limit: int = MAX_DEPTH) -> int:
    """How deeply `value` nests lists and objects, counted without recursion and up to
    `limit + 1` (enough to tell that it is too deep)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, level)
        if deepest > limit:
            return deepest
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children)
    return deepest


def load_object(raw: bytes | str, *, what: str) -> tuple[dict[str, Any], list[str]]:
    """Parse a JSON object; anything else (not JSON, another type, nested too deeply) gives
    an empty object and the problem in German, naming `what` was read."""
    try:
        value = json.loads(raw)
    except RecursionError:
        return {}, [_("%(what)s sind zu tief verschachtelt.") % {"what": what}]
    except ValueError:
        return {}, [_("%(what)s sind kein gültiges JSON.") % {"what": what}]
    if not isinstance(value, dict):
        return {}, [_("%(what)s sind kein JSON-Objekt.") % {"what": what}]
    if depth_of(value) > MAX_DEPTH:
        return {}, [
            _("%(what)s sind tiefer als %(n)d Ebenen verschachtelt.")
            % {"what": what, "n": MAX_DEPTH}
        ]
    return value, []


def check_metadata(metadata: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The metadata with only well-formed attachment entries, and what was left out."""
    problems: list[str] = []
    entries = metadata.get("attachments", [])
    if not isinstance(entries, list):
        problems.append(_("Die Metadaten nennen die Anhänge nicht als Liste."))
        entries = []
    kept = []
    for position, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict) or not all(
            isinstance(entry.get(member, ""), str) for member in ATTACHMENT_MEMBERS
        ):
            problems.append(
                _("Anhang %(n)d ist in den Metadaten nicht wie dokumentiert beschrieben.")
                % {"n": position}
            )
            continue
        kept.append({member: entry[member] for member in ATTACHMENT_MEMBERS if member in entry})
    return {**metadata, "attachments": kept}, problems
