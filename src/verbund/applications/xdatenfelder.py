"""Read XDatenfelder 2 and 3 (FIM Datenfelder) into Verbund's form definitions. Pure.

The reader is strict about structure: an unknown namespace, an unexpected element, a
repeated element, a missing or empty id, or a value outside a code list is an error that
names the element and its line. What Verbund cannot execute (the rules' scripts) is kept as
documentation in `fim_rules`; select fields with an external code list keep the reference,
and such a version cannot be published until the list is resolved.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from verbund.applications.formschema import DATATYPES
from verbund.core.errors import InvalidSourceFile

NS_V2 = "urn:xoev-de:fim:standard:xdatenfelder_2"
NS_V3 = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

ONE = (1, 1)
OPT = (0, 1)
ANY = (0, None)
REQ_MANY = (1, None)

# Code-valued elements: a <code> child (no namespace), optional listURI/listVersionID.
CODED = {
    "freigabestatus": {str(n) for n in range(1, 9)},
    "status": {"aktiv", "inaktiv", "inVorbereitung"},
    "schemaelementart": {"ABS", "HAR", "RNG"},
    "feldart": {"input", "select", "label", "hidden", "locked"},
    # The form definitions take XDatenfelder's datatypes; "obj" arrives as a file.
    "datentyp": {*DATATYPES, "obj"},
    "vorbefuellung": {"keine", "optional", "verpflichtend"},
    "typ": {"B", "K", "V", "M", "Berechnung", "Validierung"},
    "praedikat": {"ABL", "ERS", "EQU", "VKN"},
    "ableitungsmodifikationenStruktur": {"0", "1", "2", "3"},
    "ableitungsmodifikationenRepraesentation": {"0", "1"},
    "art": {"X", "V", "A", "N", "U"},
    "dokumentart": None,
}

_V3_COMMON = {
    "identifikation": ONE,
    "name": ONE,
    "beschreibung": OPT,
    "definition": OPT,
    "bezug": ANY,
    "freigabestatus": ONE,
    "statusGesetztAm": OPT,
    "statusGesetztDurch": OPT,
    "gueltigAb": OPT,
    "gueltigBis": OPT,
    "versionshinweis": OPT,
    "veroeffentlichungsdatum": OPT,
    "letzteAenderung": OPT,
    "relation": ANY,
    "stichwort": ANY,
}
_V3_ELEMENT = {
    **_V3_COMMON,
    "bezeichnungEingabe": OPT,
    "bezeichnungAusgabe": OPT,
    "schemaelementart": OPT,
    "hilfetextEingabe": OPT,
    "hilfetextAusgabe": OPT,
    "regel": ANY,
}
V3: dict[str, dict[str, tuple[int, int | None]]] = {
    "xdatenfelder.datenfeldgruppe.0103": {"header": ONE, "datenfeldgruppe": ONE},
    "xdatenfelder.stammdatenschema.0102": {"header": ONE, "stammdatenschema": ONE},
    "header": {"nachrichtID": ONE, "erstellungszeitpunkt": ONE, "referenzNachrichtID": OPT},
    "stammdatenschema": {
        **_V3_ELEMENT,
        "bezeichnung": OPT,
        "hilfetext": OPT,
        "ableitungsmodifikationenStruktur": OPT,
        "ableitungsmodifikationenRepraesentation": OPT,
        "dokumentsteckbrief": OPT,
        "struktur": ANY,
    },
    "datenfeldgruppe": {**_V3_ELEMENT, "art": OPT, "struktur": ANY},
    "datenfeld": {
        **_V3_ELEMENT,
        "feldart": ONE,
        "datentyp": ONE,
        "praezisierung": OPT,
        # some FIM exports write an empty <inhalt/> before the filled one
        "inhalt": (0, 2),
        "vorbefuellung": OPT,
        "werte": OPT,
        "codelisteReferenz": OPT,
        "codeKey": OPT,
        "nameKey": OPT,
        "helpKey": OPT,
        "maxSize": OPT,
        "mediaType": ANY,
    },
    "identifikation": {"id": ONE, "version": OPT},
    "relation": {"praedikat": ONE, "objekt": ONE},
    "objekt": {"id": ONE, "version": OPT},
    "struktur": {"anzahl": ONE, "bezug": ANY, "enthaelt": ONE},
    "enthaelt": {"datenfeldgruppe": OPT, "datenfeld": OPT},
    "regel": {
        "identifikation": ONE,
        "name": ONE,
        "beschreibung": OPT,
        "freitextRegel": OPT,
        "bezug": ANY,
        "stichwort": ANY,
        "fachlicherErsteller": OPT,
        "letzteAenderung": OPT,
        "typ": OPT,
        "param": ANY,
        "ziel": ANY,
        "skript": OPT,
        "fehler": ANY,
    },
    "werte": {"wert": ANY},
    "wert": {"code": ONE, "name": ONE, "hilfe": OPT},
    "codelisteReferenz": {
        "canonicalIdentification": OPT,
        "version": OPT,
        "canonicalVersionUri": OPT,
    },
}

_V2_COMMON = {
    "identifikation": ONE,
    "name": ONE,
    "bezeichnungEingabe": OPT,
    "bezeichnungAusgabe": OPT,
    "beschreibung": OPT,
    "definition": OPT,
    "bezug": OPT,
    "status": ONE,
    "gueltigAb": OPT,
    "gueltigBis": OPT,
    "fachlicherErsteller": OPT,
    "versionshinweis": OPT,
    "freigabedatum": OPT,
    "veroeffentlichungsdatum": OPT,
}
V2: dict[str, dict[str, tuple[int, int | None]]] = {
    "xdatenfelder.stammdatenschema.0102": {"header": ONE, "stammdatenschema": ONE},
    "xdatenfelder.datenfeldgruppe.0103": {"header": ONE, "datenfeldgruppe": ONE},
    "header": {
        "nachrichtID": ONE,
        "erstellungszeitpunkt": ONE,
        "referenzNachrichtID": OPT,
        "erstellerKennung": OPT,
    },
    "stammdatenschema": {
        **_V2_COMMON,
        "hilfetext": OPT,
        "ableitungsmodifikationenStruktur": ONE,
        "ableitungsmodifikationenRepraesentation": ONE,
        "dokumentart": OPT,
        "regel": ANY,
        "struktur": ANY,
    },
    "datenfeldgruppe": {
        **_V2_COMMON,
        "schemaelementart": ONE,
        "hilfetextEingabe": OPT,
        "hilfetextAusgabe": OPT,
        "regel": ANY,
        "struktur": ANY,
    },
    "datenfeld": {
        **_V2_COMMON,
        "schemaelementart": ONE,
        "hilfetextEingabe": OPT,
        "hilfetextAusgabe": OPT,
        "feldart": ONE,
        "datentyp": ONE,
        "praezisierung": OPT,
        "inhalt": OPT,
        "codelisteReferenz": OPT,
        "regel": ANY,
    },
    "regel": {**_V2_COMMON, "script": OPT},
    "identifikation": {"id": ONE, "version": OPT},
    "struktur": {"anzahl": ONE, "bezug": OPT, "enthaelt": ONE},
    "enthaelt": {"datenfeldgruppe": OPT, "datenfeld": OPT},
    "codelisteReferenz": {"identifikation": ONE, "genericodeIdentification": OPT},
    "genericodeIdentification": {
        "canonicalIdentification": ONE,
        "version": OPT,
        "canonicalVersionUri": OPT,
    },
}


@dataclass
class Node:
    tag: str
    ns: str
    line: int
    column: int
    attrs: dict[str, str]
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def where(self) -> str:
        return f"<xdf:{self.tag}>, Zeile {self.line}"

    def all(self, tag: str) -> list[Node]:
        return [child for child in self.children if child.tag == tag]

    def first(self, tag: str) -> Node | None:
        found = self.all(tag)
        return found[0] if found else None

    def value(self, tag: str) -> str:
        """The text of a child; for repeated lenient elements the first non-empty one."""
        for child in self.all(tag):
            if child.text.strip():
                return " ".join(child.text.split())
        return ""


def _fail(message: str, node: Node | None = None, *, line: int | None = None) -> InvalidSourceFile:
    if node is not None:
        return InvalidSourceFile(message, line=node.line, field=f"<xdf:{node.tag}>")
    return InvalidSourceFile(message, line=line)


def parse_xml(content: bytes) -> Node:
    """A tree with line numbers; DOCTYPEs (and so entity tricks) are refused."""
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[Node] = []
    root: list[Node] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        ns, _, tag = name.rpartition(" ")
        node = Node(
            tag=tag,
            ns=ns,
            line=parser.CurrentLineNumber,
            column=parser.CurrentColumnNumber,
            attrs=attrs,
        )
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(name: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text += data

    def doctype(*args: Any) -> None:
        raise _fail("DOCTYPE-Deklarationen sind nicht erlaubt.", line=parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(content, True)
    except expat.ExpatError as exc:
        raise _fail(
            f"Kein wohlgeformtes XML: {expat.errors.messages[exc.code]}", line=exc.lineno
        ) from None
    if not root:
        raise _fail("Die Datei enthält kein XML-Element.")
    return root[0]


def _check(node: Node, spec: dict[str, dict[str, tuple[int, int | None]]], ns: str) -> None:
    """Structure, element names and counts, coded values, required non-empty ids."""
    if node.tag in CODED:
        codes = [child for child in node.children if child.tag == "code"]
        others = [child for child in node.children if child.tag != "code"]
        if others:
            raise _fail("Unerwartetes Element.", others[0])
        if len(codes) != 1 or not codes[0].text.strip():
            raise _fail("Der Code fehlt.", node)
        allowed = CODED[node.tag]
        if allowed is not None and codes[0].text.strip() not in allowed:
            raise _fail(f"Ungültiger Wert „{codes[0].text.strip()}“ in <xdf:{node.tag}>.", codes[0])
        return
    allowed_children = spec.get(node.tag)
    if allowed_children is None:
        if node.children and node.tag not in {
            "praezisierung",
            "hilfetextEingabe",
            "dokumentsteckbrief",
            "param",
            "ziel",
            "fehler",
            "bezug",
            "stichwort",
        }:
            raise _fail("Unerwartetes Element.", node.children[0])
        return
    counts: dict[str, int] = {}
    for child in node.children:
        if child.ns != ns:
            raise _fail(f"Element aus fremdem Namensraum „{child.ns or '(keiner)'}“.", child)
        if child.tag not in allowed_children:
            raise _fail("Unerwartetes Element.", child)
        counts[child.tag] = counts.get(child.tag, 0) + 1
        maximum = allowed_children[child.tag][1]
        if maximum is not None and counts[child.tag] > maximum:
            raise _fail("Das Element ist doppelt vorhanden.", child)
        _check(child, spec, ns)
    for tag, (minimum, _maximum) in allowed_children.items():
        if counts.get(tag, 0) < minimum:
            raise _fail(f"Das Pflichtelement <xdf:{tag}> fehlt.", node)
    if node.tag in {"identifikation", "objekt"}:
        ident = node.first("id")
        if ident is not None and not ident.text.strip():
            raise _fail("Die Kennung (id) ist leer.", ident)
    if node.tag == "struktur":
        enthaelt = node.first("enthaelt")
        if enthaelt is not None and len(enthaelt.children) != 1:
            raise _fail(
                "<xdf:enthaelt> muss genau ein Datenfeld oder eine Gruppe enthalten.", enthaelt
            )
        anzahl = node.first("anzahl")
        if anzahl is not None and not re.fullmatch(r"\d+:(\d+|n|\*)", anzahl.text.strip()):
            raise _fail(
                f"Ungültige Anzahl „{anzahl.text.strip()}“ (erwartet z. B. 0:1, 1:n).", anzahl
            )


@dataclass
class ImportedForm:
    version: int  # XDatenfelder 2 or 3
    fim_id: str
    fim_version: str
    name: str
    schema: dict[str, Any]
    warnings: list[str]

    @property
    def key(self) -> str:
        version = re.sub(r"[^a-z0-9]+", "-", self.fim_version.lower()).strip("-")
        return f"fim-{self.fim_id.lower()}" + (f"-v{version}" if version else "")


class _Converter:
    def __init__(self, standard: int) -> None:
        self.standard = standard
        self.rules: dict[str, dict[str, str]] = {}
        self.warnings: list[str] = []
        self.used: set[str] = set()

    def ident(self, node: Node) -> tuple[str, str]:
        ident = node.first("identifikation")
        assert ident is not None
        return ident.value("id"), ident.value("version")

    def collect_rules(self, node: Node) -> None:
        for rule in node.all("regel"):
            rule_id, version = self.ident(rule)
            self.rules[f"{rule_id}:{version}"] = {
                "id": rule_id,
                "version": version,
                "name": rule.value("name"),
                "freitext": rule.value("freitextRegel") or rule.value("definition"),
                "script": rule.value("skript") or rule.value("script"),
                "element": self.ident(node)[0],
            }

    def label(self, node: Node) -> str:
        return node.value("bezeichnungEingabe") or node.value("name")

    def children(self, node: Node) -> list[dict[str, Any]]:
        used = self.used
        items = []
        for struktur in node.all("struktur"):
            anzahl = struktur.value("anzahl") or "1:1"
            low, _, high = anzahl.partition(":")
            minimum = int(low)
            maximum = 99 if high in {"n", "*"} else int(high)
            enthaelt = struktur.first("enthaelt")
            assert enthaelt is not None
            child = enthaelt.children[0]
            element = self.group(child) if child.tag == "datenfeldgruppe" else self.field(child)
            base = element["id"]
            suffix = 2
            while element["id"] in used:
                element["id"] = f"{base}_{suffix}"
                suffix += 1
            used.add(element["id"])
            if child.tag == "datenfeld":
                if maximum > 1:
                    element["required"] = True
                    element = {
                        "type": "group",
                        "id": f"{element['id']}_liste",
                        "label": element["label"],
                        "min": minimum,
                        "max": maximum,
                        "items": [element],
                    }
                else:
                    element["required"] = minimum >= 1 and element.get("kind") in {
                        "input",
                        "select",
                    }
            else:
                element["min"] = minimum if maximum != 1 else 1
                element["max"] = maximum
            items.append(element)
        return items

    def group(self, node: Node) -> dict[str, Any]:
        fim_id, version = self.ident(node)
        self.collect_rules(node)
        return {
            "type": "group",
            "id": fim_id.lower(),
            "fim_id": f"{fim_id}:{version}",
            "label": self.label(node),
            "help": node.value("hilfetextEingabe"),
            "items": self.children(node),
        }

    def field(self, node: Node) -> dict[str, Any]:
        fim_id, version = self.ident(node)
        self.collect_rules(node)
        kind = _code(node, "feldart")
        datatype = _code(node, "datentyp")
        if datatype == "obj":
            datatype = "file"
        spec: dict[str, Any] = {
            "id": fim_id.lower(),
            "fim_id": f"{fim_id}:{version}",
            "label": self.label(node),
            "kind": kind,
            "datatype": datatype,
        }
        help_text = node.value("hilfetextEingabe")
        if help_text:
            spec["help"] = help_text
        spec.update(self.constraints(node))
        content = node.value("inhalt")
        if content:
            spec["content" if kind == "label" else "value"] = content
        werte = node.first("werte")
        if werte is not None:
            spec["options"] = [
                {"code": wert.value("code"), "label": wert.value("name")}
                for wert in werte.all("wert")
            ]
        reference = node.first("codelisteReferenz")
        if reference is not None and reference.children:
            uri = (
                reference.value("canonicalVersionUri")
                or reference.value("canonicalIdentification")
                or next(
                    (
                        g.value("canonicalVersionUri") or g.value("canonicalIdentification")
                        for g in reference.all("genericodeIdentification")
                    ),
                    "",
                )
            )
            spec["codelist_ref"] = uri or "unbekannt"
        if kind == "select" and not spec.get("options"):
            spec.setdefault("codelist_ref", "unbekannt")
            self.warnings.append(
                f"{fim_id}: Auswahlfeld ohne Werte (Codeliste {spec['codelist_ref']}); "
                "vor dem Veröffentlichen auflösen."
            )
        media = [m.text.strip() for m in node.all("mediaType") if m.text.strip()]
        if media:
            spec["accept"] = media
        return spec

    def constraints(self, node: Node) -> dict[str, Any]:
        praezisierung = node.first("praezisierung")
        if praezisierung is None:
            return {}
        raw: dict[str, Any] = dict(praezisierung.attrs)
        text = praezisierung.text.strip()
        if self.standard == 2 and text:
            try:
                parsed = json.loads(text)
            except ValueError:
                raise _fail("<xdf:praezisierung> ist kein JSON.", praezisierung) from None
            if not isinstance(parsed, dict):
                raise _fail("<xdf:praezisierung> ist kein JSON-Objekt.", praezisierung)
            raw.update(parsed)
        result: dict[str, Any] = {}
        for source, target in (
            ("minLength", "min_length"),
            ("maxLength", "max_length"),
            ("minValue", "min"),
            ("maxValue", "max"),
        ):
            value = str(raw.get(source, "")).strip()
            if value:
                if not re.fullmatch(r"-?\d+(\.\d+)?", value):
                    raise _fail(f"{source}=„{value}“ ist keine Zahl.", praezisierung)
                result[target] = int(value) if target.endswith("length") else value
        if raw.get("pattern"):
            try:
                re.compile(str(raw["pattern"]))
            except re.error:
                raise _fail(f"Ungültiges Muster „{raw['pattern']}“.", praezisierung) from None
            result["pattern"] = str(raw["pattern"])
        return result


def _code(node: Node, tag: str) -> str:
    child = node.first(tag)
    if child is None:
        return ""
    code = child.first("code")
    return code.text.strip() if code is not None else ""


def import_xdatenfelder(content: bytes) -> ImportedForm:
    """Read one XDatenfelder 2 or 3 message; InvalidSourceFile names what is wrong."""
    root = parse_xml(content)
    if root.ns == NS_V3:
        standard, spec = 3, V3
    elif root.ns == NS_V2:
        standard, spec = 2, V2
    else:
        raise _fail(f"Unbekannter Namensraum „{root.ns}“ (erwartet XDatenfelder 2 oder 3).", root)
    if root.tag not in spec or root.tag == "header":
        raise _fail("Unbekannte Nachricht.", root)
    _check(root, spec, root.ns)
    main = root.first("stammdatenschema") or root.first("datenfeldgruppe")
    assert main is not None
    converter = _Converter(standard)
    fim_id, version = converter.ident(main)
    converter.collect_rules(main)
    items = converter.children(main)
    steps = []
    loose = [item for item in items if item.get("type") != "group" or item.get("max", 1) != 1]
    if loose:
        steps.append({"id": "angaben", "title": converter.label(main) or "Angaben", "items": loose})
    for item in items:
        if item.get("type") == "group" and item.get("max", 1) == 1:
            steps.append({"id": item["id"], "title": item["label"], "items": item["items"]})
    if not steps:
        steps = [
            {
                "id": "angaben",
                "title": converter.label(main) or "Angaben",
                "items": [
                    {
                        "id": "hinweis",
                        "kind": "label",
                        "label": converter.label(main),
                        "content": main.value("beschreibung") or main.value("definition"),
                    }
                ],
            }
        ]
    name = converter.label(main) or main.value("name")
    schema: dict[str, Any] = {
        "id": f"fim-{fim_id.lower()}",
        "title": name,
        "fim_id": fim_id,
        "fim_version": version,
        "fim_standard": f"XDatenfelder {standard}",
        "steps": steps,
    }
    if converter.rules:
        schema["fim_rules"] = list(converter.rules.values())
    return ImportedForm(
        version=standard,
        fim_id=fim_id,
        fim_version=version,
        name=name,
        schema=schema,
        warnings=converter.warnings,
    )
