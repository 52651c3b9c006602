import io

import pytest
from django.core.management import CommandError, call_command

from verbund.applications.actions import publish_form_version, save_form_version
from verbund.applications.models import FormDefinition, FormVersion
from verbund.applications.xdatenfelder import import_xdatenfelder
from verbund.core.errors import Conflict, InvalidInput, InvalidSourceFile

VALID = [
    "v2-data/data-field-rule.xml",
    "v2-data/data-group-rule.xml",
    "v2-data/label.xml",
    "v2-data/minimal.xml",
    "v2-data/rule.xml",
    "v2-data/select.xml",
    "v2-data/simple.xml",
    "v3-data/input.xml",
    "v3-data/simple.xml",
]
INVALID = {
    "v2-data/duplicate-optional-value.xml": ("<xdf:beschreibung>", 15),
    "v2-data/duplicate-required-value.xml": ("<xdf:name>", 13),
    "v2-data/unknown-namespace.xml": ("Namensraum", 2),
    "v3-data/duplicate-id-node.xml": ("<xdf:id>", 11),
    "v3-data/empty-id-node.xml": ("<xdf:id>", 10),
    "v3-data/invalid-freigabestatus.xml": ("freigabestatus", 18),
    "v3-data/missing-id-node.xml": ("<xdf:id>", 9),
    "v3-data/unexpected-node.xml": ("<xdf:unknown>", 11),
    "v3-data/unknown-namespace.xml": ("Namensraum", 2),
}


@pytest.mark.parametrize("name", VALID)
def test_valid_samples_import(shared_data, name):
    form = import_xdatenfelder((shared_data / "fim" / name).read_bytes())
    assert form.fim_id and form.schema["steps"]


def test_v3_fields_keep_type_constraints_and_rules(shared_data):
    form = import_xdatenfelder((shared_data / "fim/v3-data/simple.xml").read_bytes())
    street = form.schema["steps"][0]["items"][0]
    assert street["label"] == "Straße" and street["max_length"] == 55 and street["required"]
    assert form.schema["fim_rules"][0]["id"] == "R60000000019"


@pytest.mark.parametrize(("name", "expected"), INVALID.items())
def test_invalid_samples_name_element_and_line(shared_data, name, expected):
    with pytest.raises(InvalidSourceFile) as exc:
        import_xdatenfelder((shared_data / "fim" / name).read_bytes())
    assert expected[0] in exc.value.message and exc.value.line == expected[1]


@pytest.mark.django_db
def test_command_imports_all_or_nothing(shared_data):
    before = FormDefinition.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command(
            "import-xdatenfelder",
            str(shared_data / "fim/v2-data/simple.xml"),
            str(shared_data / "fim/v3-data/unexpected-node.xml"),
            stdout=io.StringIO(),
        )
    assert "unexpected-node.xml" in str(exc.value) and "Nichts importiert" in str(exc.value)
    assert FormDefinition.objects.count() == before
    out = io.StringIO()
    call_command(
        "import-xdatenfelder", str(shared_data / "fim/v3-data"), stdout=io.StringIO()
    ) if False else None
    call_command(
        "import-xdatenfelder", str(shared_data / "fim/v3-data/simple.xml"), "--publish", stdout=out
    )
    assert "fim-g60000000088" in out.getvalue()
    assert FormVersion.objects.get(definition__key="fim-g60000000088-v1-2-0").status == "published"


@pytest.mark.django_db
def test_select_without_codelist_cannot_be_published(shared_data):
    form = import_xdatenfelder((shared_data / "fim/v2-data/select.xml").read_bytes())
    version, _ = save_form_version(
        key=form.key, name=form.name, schema=form.schema, source="xdf2", actor="t"
    )
    with pytest.raises(InvalidInput) as exc:
        publish_form_version(version=version, actor="t")
    assert "urn:de:example_1" in exc.value.message


@pytest.mark.django_db
def test_published_versions_are_immutable():
    schema = {"id": "x", "steps": [{"id": "s", "title": "S", "items": [{"id": "f"}]}]}
    first, created = save_form_version(
        key="x", name="X", schema=schema, source="builtin", actor="t", publish=True
    )
    same, again = save_form_version(
        key="x", name="X", schema=schema, source="builtin", actor="t", publish=True
    )
    assert created and not again and same.pk == first.pk
    changed = {**schema, "title": "Neu"}
    second, created = save_form_version(
        key="x", name="X", schema=changed, source="builtin", actor="t", publish=True
    )
    first.refresh_from_db()
    assert second.number == 2 and first.status == "retired" and first.schema == schema
    with pytest.raises(Conflict):
        publish_form_version(version=first, actor="t")
