"""XZuFi 2.2 export and import: round trip, and invalid documents import nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree

from verbund.authorities.models import Authority
from verbund.catalogue import search
from verbund.catalogue.models import Service
from verbund.core.errors import InvalidSourceFile
from verbund.finder import queries, xzufi
from verbund.finder.actions import import_xzufi
from verbund.finder.models import Zustaendigkeit
from verbund.gebiete.models import Gebiet

pytestmark = pytest.mark.django_db

STAMP = re.compile(rb'erstellungszeitpunkt="[^"]*"')


def found(text: str) -> list[str]:
    ids = [hit.service_id for hit in search.search(text, limit=5)]
    slugs = dict(Service.objects.filter(pk__in=ids).values_list("pk", "slug"))
    return [slugs[i] for i in ids]


def export(tmp_path, name="export.xml") -> bytes:
    path = tmp_path / name
    call_command("export-xzufi", str(path), stderr=io.StringIO())
    return STAMP.sub(b"", path.read_bytes())


def test_export_uses_the_xzufi_namespace_and_destatis_gebiet_ids(tmp_path):
    data = export(tmp_path)
    root = etree.fromstring(data)
    assert etree.QName(root).namespace == "http://xoev.de/schemata/xzufi/2_2_0"
    ns = {"x": xzufi.NS}
    assert len(root.findall("x:leistung", ns)) == Service.objects.filter(is_curated=True).count()
    assert len(root.findall("x:organisationseinheit", ns)) == Authority.objects.count()
    zust = root.findall("x:zustaendigkeit", ns)
    districts = len(queries.district_zustaendigkeiten())
    assert len(zust) == Zustaendigkeit.objects.count() + districts
    assert Zustaendigkeit.objects.count() >= 10 and districts >= 22
    ids = {z.findtext("x:gebietID", namespaces=ns) for z in zust}
    assert "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:rs:160000000000" in ids


def test_round_trip_restores_what_was_changed_or_removed(tmp_path):
    original = export(tmp_path, "a.xml")
    service = Service.objects.get(slug="hundesteuer-anmelden")
    service.short_text = "verändert"
    service.costs = ""
    service.save()
    authority = Authority.objects.get(slug="tlvwa")
    authority.phone = "+49 000"
    authority.opening_hours = ""
    authority.save()
    Zustaendigkeit.objects.filter(service__slug="kindergeld").delete()
    entry = Zustaendigkeit.objects.get(service__slug="blindengeld")
    entry.note = "anders"
    entry.save()
    assert export(tmp_path, "b.xml") != original

    report = import_xzufi(document=xzufi.parse(original), actor="test")
    assert report.services_updated == 1 and report.authorities_updated == 1
    assert report.zustaendigkeiten_created == 1
    assert export(tmp_path, "c.xml") == original
    # the search index follows the restored text
    assert "hundesteuer-anmelden" in found("hund anmelden")


def test_import_creates_new_records_through_the_actions(tmp_path):
    land = Gebiet.objects.get(level="land", key="16")
    doc = f"""<?xml version="1.0" encoding="UTF-8"?>
<xzufi:transfer.zustaendigkeiten xmlns:xzufi="{xzufi.NS}">
  <xzufi:leistung>
    <xzufi:id>fischerei-test</xzufi:id>
    <xzufi:bezeichnung>Testleistung Angelkarte</xzufi:bezeichnung>
    <xzufi:modulText leikaTextmodul="kurztext">Eine Angelkarte für Gewässer.</xzufi:modulText>
    <xzufi:klassifizierung listURI="urn:verbund:vollzugsebene">land</xzufi:klassifizierung>
  </xzufi:leistung>
  <xzufi:organisationseinheit>
    <xzufi:id>test-amt</xzufi:id>
    <xzufi:name>Testamt für Angelkarten</xzufi:name>
    <xzufi:kategorie>landesbehoerde</xzufi:kategorie>
    <xzufi:gebietID>{xzufi.GEBIET_PREFIX}{land.ars}</xzufi:gebietID>
  </xzufi:organisationseinheit>
  <xzufi:zustaendigkeit>
    <xzufi:leistungID>fischerei-test</xzufi:leistungID>
    <xzufi:organisationseinheitID>test-amt</xzufi:organisationseinheitID>
    <xzufi:gebietID>{xzufi.GEBIET_PREFIX}{land.ars}</xzufi:gebietID>
    <xzufi:gueltigkeit><xzufi:beginn>2026-01-01</xzufi:beginn></xzufi:gueltigkeit>
  </xzufi:zustaendigkeit>
</xzufi:transfer.zustaendigkeiten>""".encode()
    path = tmp_path / "new.xml"
    path.write_bytes(doc)
    out = io.StringIO()
    call_command("import-xzufi", str(path), stdout=out)
    assert "Leistungen: 1 neu" in out.getvalue()
    entry = Zustaendigkeit.objects.get(service__slug="fischerei-test")
    assert entry.authority.name == "Testamt für Angelkarten" and entry.gebiet == land
    assert "fischerei-test" in found("Testleistung Angelkarte")
    from verbund.core.models import AuditEntry

    assert AuditEntry.objects.filter(action="finder.zustaendigkeit_created").exists()
    assert AuditEntry.objects.filter(action="authority.created", actor_label="import-xzufi")


BROKEN = [
    (b"<xzufi:transfer.zustaendigkeiten xmlns:xzufi='X'", "kein wohlgeformtes XML"),
    (
        b'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
        b'<xzufi:transfer.zustaendigkeiten xmlns:xzufi="http://xoev.de/schemata/xzufi/2_2_0">'
        b"<xzufi:leistung><xzufi:id>&e;</xzufi:id></xzufi:leistung>"
        b"</xzufi:transfer.zustaendigkeiten>",
        "DOCTYPE",
    ),
    (b"<transfer/>", "Namensraum"),
]


@pytest.mark.parametrize(("data", "message"), BROKEN)
def test_malformed_and_unsafe_documents_are_refused(data, message):
    with pytest.raises(InvalidSourceFile) as exc:
        xzufi.parse(data)
    assert message in exc.value.message


def test_invalid_record_names_element_and_line_and_imports_nothing(tmp_path):
    original = export(tmp_path)
    # a valid change first, then an element without its required name further down
    text = original.decode().replace(
        "<xzufi:bezeichnung>Abbruch einer baulichen Anlage anzeigen</xzufi:bezeichnung>",
        "<xzufi:bezeichnung>Geändert</xzufi:bezeichnung>",
    )
    lines = text.split("\n")
    target = next(i for i, line in enumerate(lines) if "<xzufi:name>" in line)
    lines[target] = "<xzufi:name></xzufi:name>"
    path = tmp_path / "broken.xml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CommandError) as exc:
        call_command("import-xzufi", str(path), stdout=io.StringIO())
    message = str(exc.value)
    assert "<xzufi:organisationseinheit>" in message and "<xzufi:name>" in message
    assert f"Zeile {target + 1}:" in message and "ist leer" in message
    assert "nichts importiert" in message
    assert Service.objects.get(slug="abbruch-anzeige").name != "Geändert"


def test_unknown_references_roll_back_everything(tmp_path):
    original = export(tmp_path).decode()
    changed = original.replace(
        "<xzufi:bezeichnung>Abbruch einer baulichen Anlage anzeigen</xzufi:bezeichnung>",
        "<xzufi:bezeichnung>Geändert</xzufi:bezeichnung>",
    ).replace(
        "<xzufi:organisationseinheitID>tlvwa</xzufi:organisationseinheitID>",
        "<xzufi:organisationseinheitID>gibt-es-nicht</xzufi:organisationseinheitID>",
        1,
    )
    with pytest.raises(InvalidSourceFile) as exc:
        import_xzufi(document=xzufi.parse(changed.encode()), actor="test")
    assert "gibt-es-nicht" in exc.value.message and exc.value.line
    assert Service.objects.get(slug="abbruch-anzeige").name != "Geändert"
