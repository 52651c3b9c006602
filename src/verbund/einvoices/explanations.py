"""German explanations of validation findings for the person who corrects the invoice: the
rule in plain words (`explanations.toml`, keyed by rule id), the business terms it concerns
by their German names, and the value the invoice holds at the finding's location. The
rule's own text and the XPath location stay available as the technical detail."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree

from verbund.einvoices.validation.engine import ATTACHMENTS

_FILE = Path(__file__).with_name("explanations.toml")
_TERM = re.compile(r"\b(B[GT]-\d+)\b")
_STEP = re.compile(r"^(?:[\w.-]+:)?([\w.-]+)(?:\[(\d+)\])?$")
# libxml2's words for a value of the wrong form ("Element 'x': '2024-13-01' is not a valid
# value of the atomic type 'xs:date'", "[facet 'pattern'] The value …", "… is not an
# element of the set …"); the quoted value after the element alone when libxml2 cut the
# message short
_VALUE_REFUSED = re.compile(
    r"is not a valid value|\[facet '|is not facet-valid|is not an element of the set|': '"
)
# Attachments (BT-125): base64 of up to megabytes, which tells nobody anything; their
# attributes say what the rules check.
_ATTACHMENTS = {etree.QName(tag).localname for tag in ATTACHMENTS}
_ATTACHMENT_ATTRIBUTES = (("mimeCode", "Dateityp (mimeCode)"), ("filename", "Dateiname"))


@dataclass(frozen=True)
class ExplainedFinding:
    rule: str
    severity: str
    explanation: str  # German, for people; "" when the rule has none in the file
    terms: tuple[tuple[str, str], ...]  # (BT-10, "Leitweg-ID (Käuferreferenz)")
    value: str  # what the invoice holds at the location ("" when nothing to show)
    message: str  # the rule's own text
    location: str


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    with _FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return {
        "rules": dict(data.get("rules", {})),
        "terms": dict(data.get("terms", {})),
        "elements": dict(data.get("elements", {})),
    }


def explanation_for(rule: str, message: str = "") -> str:
    rules = _table()["rules"]
    if rule == "XSD" and _VALUE_REFUSED.search(message):
        return rules.get("XSD-VALUE", "") or rules.get(rule, "")
    return rules.get(rule, "")


def term_name(term: str) -> str:
    return _table()["terms"].get(term, "")


def _text_of(node: Any) -> str:
    text = " ".join((node.text or "").split())
    return text[:120] + ("…" if len(text) > 120 else "")


def _node_at(root: Any, location: str) -> Any:
    if root is None or not location.startswith("/"):
        return None
    steps = [s for s in location.split("/") if s]
    node = root
    first = _STEP.match(steps[0]) if steps else None
    # libxml2 names the root "*" in the paths of schema findings
    if steps[:1] != ["*"] and (first is None or etree.QName(root).localname != first.group(1)):
        return None
    for step in steps[1:]:
        match = _STEP.match(step)
        if match is None:
            return None
        name, index = match.group(1), int(match.group(2) or 1)
        children = [c for c in node if isinstance(c.tag, str) and etree.QName(c).localname == name]
        if len(children) < index:
            return None
        node = children[index - 1]
    return node


def value_at(root: Any, location: str, terms: tuple[str, ...] = ()) -> str:
    """What the invoice holds where the rule fired: the element's text, or, when the rule
    reports a containing element, the values of the terms it names found below it
    ("BT-106: 999.99"). Empty when there is nothing readable to show."""
    node = _node_at(root, location)
    if node is None:
        return ""
    if etree.QName(node).localname in _ATTACHMENTS:
        described = [
            f"{label}: {node.get(name)}" for name, label in _ATTACHMENT_ATTRIBUTES if node.get(name)
        ]
        return "; ".join(["Anhang", *described])
    if not len(node):
        return _text_of(node)
    values = []
    for term in terms:
        names = set(_table()["elements"].get(term, ()))
        for child in node.iter():
            if (
                isinstance(child.tag, str)
                and not len(child)
                and etree.QName(child).localname in names
                and (child.text or "").strip()
            ):
                values.append(f"{term}: {_text_of(child)}")
                break
    return "; ".join(values[:3])


def _root(xml: bytes | None) -> Any:
    if not xml:
        return None
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        return etree.fromstring(xml, parser)
    except etree.XMLSyntaxError:
        return None


def explain(
    findings: Iterable[Mapping[str, Any]], xml: bytes | None = None
) -> list[ExplainedFinding]:
    """The findings of a report (its `to_dict()` shape) with explanation, terms and value."""
    root = _root(xml)
    explained = []
    for finding in findings:
        rule = str(finding.get("rule", ""))
        message = str(finding.get("message", ""))
        location = str(finding.get("location", ""))
        codes = tuple(dict.fromkeys(_TERM.findall(message)))
        terms = tuple((term, term_name(term)) for term in codes if term_name(term))
        explained.append(
            ExplainedFinding(
                rule=rule,
                severity=str(finding.get("severity", "")),
                explanation=explanation_for(rule, message),
                terms=terms,
                value=value_at(root, location, codes),
                message=message,
                location=location,
            )
        )
    return explained
