"""XZuFi 2.2 exchange: Leistungen, Organisationseinheiten and Zuständigkeiten as XML.

The document uses the XZuFi 2.2 namespace and its element names for the parts Verbund
has (a subset of the standard; see docs/architecture.md, section "Finder"). Areas are
identified like in XZuFi by Destatis URNs of the Regionalschlüssel
(`urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:<ARS>`).

Parsing is safe: no DTD, no entities, no network; a document with a DOCTYPE is refused.
`parse()` validates the whole document and returns plain records; nothing is written here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from verbund.core.errors import InvalidSourceFile

NS = "http://xoev.de/schemata/xzufi/2_2_0"
GEBIET_PREFIX = "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:"
ROOT = "transfer.zustaendigkeiten"
X = f"{{{NS}}}"

# Service fields ↔ XZuFi text modules (leikaTextmodul codes of our own list, see docs).
TEXT_MODULES: dict[str, str] = {
    "short_text": "kurztext",
    "full_text": "volltext",
    "required_documents": "erforderlicheUnterlagen",
    "prerequisites": "voraussetzungen",
    "costs": "kosten",
    "deadlines": "fristen",
    "processing_time": "bearbeitungsdauer",
    "procedure": "verfahrensablauf",
    "notes": "hinweise",
    "legal_basis": "rechtsgrundlage",
    "forms_url": "formulare",
    "online_service_url": "onlinedienst",
}
SERVICE_CODES: dict[str, str] = {
    "level": "vollzugsebene",
    "wirkungskreis": "wirkungskreis",
    "audience": "leistungsadressat",
}
ADDRESS_KINDS = {"postanschrift": "postal", "besucheranschrift": "visitor"}
CHANNELS = {"telefon": "phone", "fax": "fax", "email": "email", "web": "website"}


@dataclass
class LeistungRecord:
    line: int
    slug: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class OrganisationseinheitRecord:
    line: int
    slug: str
    ars: str
    ebene: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class ZustaendigkeitRecord:
    line: int
    leistung: str
    organisationseinheit: str
    ars: str
    ebene: str
    note: str = ""
    valid_from: date | None = None
    valid_until: date | None = None


@dataclass
class Document:
    leistungen: list[LeistungRecord]
    organisationseinheiten: list[OrganisationseinheitRecord]
    zustaendigkeiten: list[ZustaendigkeitRecord]


# --- writing ----------------------------------------------------------------------------


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    element = etree.SubElement(parent, X + tag, {k: v for k, v in attrs.items() if v})
    if text:
        element.text = text
    return element


def gebiet_urn(ars: str) -> str:
    return GEBIET_PREFIX + ars


def serialize(*, services: Any, authorities: Any, zustaendigkeiten: Any, created: str) -> bytes:
    """The XZuFi document for the given querysets (ordered for stable output)."""
    root = etree.Element(X + ROOT, nsmap={"xzufi": NS})
    root.set("erstellungszeitpunkt", created)
    for service in services:
        element = _sub(root, "leistung")
        _sub(element, "id", service.slug, schemeID="verbund:leistung")
        if service.leika_key:
            _sub(element, "referenzLeiKa", service.leika_key)
        _sub(element, "bezeichnung", service.name)
        if service.name_2:
            _sub(element, "bezeichnung2", service.name_2)
        for name, code in TEXT_MODULES.items():
            value = getattr(service, name)
            if value:
                _sub(element, "modulText", value, leikaTextmodul=code)
        for name, code in SERVICE_CODES.items():
            value = getattr(service, name)
            if value:
                _sub(element, "klassifizierung", value, listURI=f"urn:verbund:{code}")
        if service.office:
            _sub(element, "zustaendigeStelle", service.office)
    for authority in authorities:
        element = _sub(root, "organisationseinheit")
        _sub(element, "id", authority.slug, schemeID="verbund:organisationseinheit")
        _sub(element, "name", authority.name)
        _sub(element, "kategorie", authority.kind)
        _sub(element, "gebietID", gebiet_urn(authority.gebiet.ars), ebene=authority.gebiet.level)
        for kind, prefix in ADDRESS_KINDS.items():
            address = _sub(element, "anschrift", typ=kind)
            _sub(address, "strasse", getattr(authority, f"{prefix}_street"))
            _sub(address, "postleitzahl", getattr(authority, f"{prefix}_code"))
            _sub(address, "ort", getattr(authority, f"{prefix}_city"))
        for channel, name in CHANNELS.items():
            value = getattr(authority, name)
            if value:
                _sub(element, "kommunikation", value, kanal=channel)
        if authority.opening_hours:
            _sub(element, "oeffnungszeiten", authority.opening_hours)
    for entry in zustaendigkeiten:
        element = _sub(root, "zustaendigkeit")
        _sub(element, "leistungID", entry.service.slug)
        _sub(element, "organisationseinheitID", entry.authority.slug)
        _sub(element, "gebietID", gebiet_urn(entry.gebiet.ars), ebene=entry.gebiet.level)
        if entry.note:
            _sub(element, "hinweis", entry.note)
        if entry.valid_from or entry.valid_until:
            period = _sub(element, "gueltigkeit")
            if entry.valid_from:
                _sub(period, "beginn", entry.valid_from.isoformat())
            if entry.valid_until:
                _sub(period, "ende", entry.valid_until.isoformat())
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


# --- reading ----------------------------------------------------------------------------


def _parser() -> Any:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(element: Any) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _fail(element: Any, message: str) -> InvalidSourceFile:
    return InvalidSourceFile(f"<xzufi:{_local(element)}>: {message}", line=element.sourceline)


def _text(element: Any, tag: str, *, required: bool = True) -> str:
    child = element.find(X + tag)
    value = (child.text or "").strip() if child is not None else ""
    if required and not value:
        if child is not None:  # name the line of the empty element itself
            raise InvalidSourceFile(
                f"<xzufi:{_local(element)}>: <xzufi:{tag}> ist leer.", line=child.sourceline
            )
        raise _fail(element, f"<xzufi:{tag}> fehlt.")
    return value


def _ars(element: Any) -> tuple[str, str]:
    child = element.find(X + "gebietID")
    value = (child.text or "").strip() if child is not None else ""
    if not value:
        raise _fail(element, "<xzufi:gebietID> fehlt.")
    ars = value.removeprefix(GEBIET_PREFIX)
    if not value.startswith(GEBIET_PREFIX) or not (len(ars) == 12 and ars.isdigit()):
        raise _fail(child, f"„{value}“ ist keine Gebiets-ID {GEBIET_PREFIX}<ARS, 12 Ziffern>.")
    return ars, child.get("ebene", "")


def _date(element: Any, tag: str) -> date | None:
    child = element.find(f"{X}gueltigkeit/{X}{tag}")
    if child is None or not (child.text or "").strip():
        return None
    try:
        return date.fromisoformat(child.text.strip())
    except ValueError:
        raise _fail(child, f"„{child.text.strip()}“ ist kein Datum (JJJJ-MM-TT).") from None


def parse(data: bytes) -> Document:
    """Validate and read an XZuFi document; InvalidSourceFile names element and line."""
    try:
        tree = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        raise InvalidSourceFile(f"kein wohlgeformtes XML: {exc.msg}", line=line) from None
    if tree.getroottree().docinfo.doctype:
        raise InvalidSourceFile("Dokumenttypdeklarationen (DOCTYPE) sind nicht erlaubt.", line=1)
    if etree.QName(tree).namespace != NS:
        raise InvalidSourceFile(
            f"Das Wurzelelement <{etree.QName(tree).localname}> gehört nicht zum Namensraum {NS}.",
            line=tree.sourceline,
        )
    if _local(tree) != ROOT:
        raise _fail(tree, f"Wurzelelement <xzufi:{ROOT}> erwartet.")
    document = Document([], [], [])
    for element in tree:
        name = _local(element)
        if not name:
            continue
        if etree.QName(element).namespace != NS:
            raise InvalidSourceFile(
                f"Element <{etree.QName(element).localname}> gehört nicht zum Namensraum {NS}.",
                line=element.sourceline,
            )
        if name == "leistung":
            document.leistungen.append(_leistung(element))
        elif name == "organisationseinheit":
            document.organisationseinheiten.append(_organisationseinheit(element))
        elif name == "zustaendigkeit":
            document.zustaendigkeiten.append(_zustaendigkeit(element))
        else:
            raise _fail(element, "unbekanntes Element.")
    return document


def _leistung(element: Any) -> LeistungRecord:
    record = LeistungRecord(line=element.sourceline, slug=_text(element, "id"))
    record.fields["leika_key"] = _text(element, "referenzLeiKa", required=False)
    record.fields["name"] = _text(element, "bezeichnung")
    record.fields["name_2"] = _text(element, "bezeichnung2", required=False)
    record.fields["office"] = _text(element, "zustaendigeStelle", required=False)
    modules = {code: name for name, code in TEXT_MODULES.items()}
    for name in TEXT_MODULES:
        record.fields[name] = ""
    for child in element.findall(X + "modulText"):
        code = child.get("leikaTextmodul", "")
        if code not in modules:
            raise _fail(child, f"unbekanntes Textmodul „{code}“.")
        record.fields[modules[code]] = child.text or ""
    codes = {f"urn:verbund:{code}": name for name, code in SERVICE_CODES.items()}
    for name in SERVICE_CODES:
        record.fields[name] = ""
    for child in element.findall(X + "klassifizierung"):
        uri = child.get("listURI", "")
        if uri not in codes:
            raise _fail(child, f"unbekannte Klassifizierung „{uri}“.")
        record.fields[codes[uri]] = (child.text or "").strip()
    return record


def _organisationseinheit(element: Any) -> OrganisationseinheitRecord:
    ars, ebene = _ars(element)
    record = OrganisationseinheitRecord(
        line=element.sourceline, slug=_text(element, "id"), ars=ars, ebene=ebene
    )
    record.fields["name"] = _text(element, "name")
    record.fields["kind"] = _text(element, "kategorie")
    for prefix in ADDRESS_KINDS.values():
        for suffix in ("street", "code", "city"):
            record.fields[f"{prefix}_{suffix}"] = ""
    for address in element.findall(X + "anschrift"):
        kind = address.get("typ", "")
        if kind not in ADDRESS_KINDS:
            raise _fail(address, f"unbekannte Anschrift „{kind}“.")
        prefix = ADDRESS_KINDS[kind]
        record.fields[f"{prefix}_street"] = _text(address, "strasse", required=False)
        record.fields[f"{prefix}_code"] = _text(address, "postleitzahl", required=False)
        record.fields[f"{prefix}_city"] = _text(address, "ort", required=False)
    for name in CHANNELS.values():
        record.fields[name] = ""
    for channel in element.findall(X + "kommunikation"):
        kanal = channel.get("kanal", "")
        if kanal not in CHANNELS:
            raise _fail(channel, f"unbekannter Kommunikationskanal „{kanal}“.")
        record.fields[CHANNELS[kanal]] = (channel.text or "").strip()
    hours = element.find(X + "oeffnungszeiten")
    record.fields["opening_hours"] = hours.text or "" if hours is not None else ""
    return record


def _zustaendigkeit(element: Any) -> ZustaendigkeitRecord:
    ars, ebene = _ars(element)
    return ZustaendigkeitRecord(
        line=element.sourceline,
        leistung=_text(element, "leistungID"),
        organisationseinheit=_text(element, "organisationseinheitID"),
        ars=ars,
        ebene=ebene,
        note=_text(element, "hinweis", required=False),
        valid_from=_date(element, "beginn"),
        valid_until=_date(element, "ende"),
    )
