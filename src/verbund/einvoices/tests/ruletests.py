"""Readers of the two rule-test formats in the rule directory.

- CEN (`unit-tests/en16931/`): VEFA `testSet` files; each `test` embeds a (partial) invoice and
  says which rules must not fire (`success`), must fire as error (`error`, optionally
  `number` times) or as warning (`warning`).
- KoSIT (`unit-tests/xrechnung/`): xmute files; each `<?xmute ...?>` processing instruction
  mutates the element that follows it (identity, empty, remove, code with `values`, on the
  element's text or on `attribute`) and says which rules must fire (`schematron-invalid`)
  or must not (`schematron-valid`) on the mutated document.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

VEFA = "{http://difi.no/xsd/vefa/validator/1.0}"
_PSEUDO = re.compile(r'([\w-]+)="([^"]*)"')


@dataclass
class Case:
    """One document with its expectations."""

    name: str
    document: etree._Element
    must_fire: dict[str, str | None] = field(default_factory=dict)  # rule -> severity or None
    must_not_fire: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)
    syntax: str = "UBL"


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def vefa_cases(path: Path) -> list[Case]:
    root = etree.parse(str(path), _parser()).getroot()
    if root.tag != f"{VEFA}testSet":
        # A complete example invoice: no error of the EN 16931 rules.
        syntax = "CII" if "CrossIndustryInvoice" in root.tag else "UBL"
        return [Case(name=path.name, document=root, syntax=syntax)]
    syntax = "CII" if root.get("configuration", "").endswith("cii") else "UBL"
    cases = []
    for number, test in enumerate(root.findall(f"{VEFA}test"), start=1):
        document = next(
            (c for c in test if isinstance(c.tag, str) and not c.tag.startswith(VEFA)), None
        )
        if document is None:
            continue
        case = Case(
            name=f"{path.name}#{test.get('id', number)}",
            document=copy.deepcopy(document),
            syntax=syntax,
        )
        assertion = test.find(f"{VEFA}assert")
        if assertion is not None:
            for element in assertion:
                rule = (element.text or "").strip()
                if element.tag == f"{VEFA}success":
                    case.must_not_fire.add(rule)
                elif element.tag == f"{VEFA}error":
                    case.must_fire[rule] = "fatal"
                    if element.get("number"):
                        case.counts[rule] = int(element.get("number", "1"))
                elif element.tag == f"{VEFA}warning":
                    case.must_fire[rule] = "warning"
        cases.append(case)
    return cases


def _rules(value: str) -> list[str]:
    return [item.split(":", 1)[1] for item in re.split(r"[\s,]+", value.strip()) if item]


def _target(pi: etree._Element) -> etree._Element | None:
    sibling = pi.getnext()
    while sibling is not None and not isinstance(sibling.tag, str):
        sibling = sibling.getnext()
    return sibling


def xmute_cases(path: Path) -> list[Case]:
    tree = etree.parse(str(path), _parser())
    root = tree.getroot()
    syntax = "CII" if "CrossIndustryInvoice" in root.tag else "UBL"
    pis = [pi for pi in root.iter(etree.ProcessingInstruction) if pi.target == "xmute"]
    cases = []
    for position, pi in enumerate(pis):
        attrs = dict(_PSEUDO.findall(pi.text or ""))
        mutator = attrs.get("mutator", "identity")
        attribute = attrs.get("attribute")
        separator = attrs.get("separator", ",")
        if mutator == "code":
            variants: list[str | None] = [
                v.strip() for v in attrs.get("values", "").split(separator) if v.strip()
            ]
        else:
            variants = [None]
        for value in variants:
            document = copy.deepcopy(root)
            twin = [p for p in document.iter(etree.ProcessingInstruction) if p.target == "xmute"][
                position
            ]
            target = _target(twin)
            if target is None:
                raise ValueError(f"{path.name}: xmute without a following element")
            _mutate(target, mutator, attribute, value)
            label = attrs.get("id") or f"pi{position}"
            case = Case(
                name=f"{path.name}#{label}" + (f"={value}" if value is not None else ""),
                document=document,
                syntax=syntax,
            )
            for rule in _rules(attrs.get("schematron-invalid", "")):
                case.must_fire[rule] = None
            case.must_not_fire.update(_rules(attrs.get("schematron-valid", "")))
            cases.append(case)
    return cases


def _mutate(target: etree._Element, mutator: str, attribute: str | None, value: str | None) -> None:
    if mutator == "identity":
        return
    if mutator == "remove":
        if attribute:
            target.attrib.pop(attribute, None)
        else:
            parent = target.getparent()
            assert parent is not None
            tail = target.tail
            previous = target.getprevious()
            parent.remove(target)
            if tail and previous is not None:
                previous.tail = (previous.tail or "") + tail
        return
    if mutator == "empty":
        if attribute:
            target.set(attribute, "")
        else:
            for child in list(target):
                target.remove(child)
            target.text = ""
        return
    if mutator == "code":
        assert value is not None
        if attribute:
            target.set(attribute, value)
        else:
            for child in list(target):
                target.remove(child)
            target.text = value
        return
    if mutator == "whitespace":
        if attribute:
            target.set(attribute, f" {target.get(attribute, '')} ")
        else:
            target.text = f"  {target.text or ''}\n "
        return
    raise ValueError(f"unknown xmute mutator {mutator}")
