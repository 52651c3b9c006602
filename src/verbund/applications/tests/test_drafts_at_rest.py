"""Drafts hold personal data before they are submitted: answers and the names of attached
files are encrypted at rest (the same keys as the Servicekonto's profile data)."""

import importlib
import json
import types
import uuid

import pytest
from django.db import connection

from verbund.applications.models import Draft, DraftAttachment
from verbund.applications.tests.factories import start
from verbund.core import encryption

pytestmark = pytest.mark.django_db

migration = importlib.import_module("verbund.applications.migrations.0002_encrypt_drafts")
# what the migration's functions use of a schema editor (a real one cannot open inside the
# test's transaction on SQLite)
editor = types.SimpleNamespace(connection=connection, quote_name=connection.ops.quote_name)


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk.hex])
        row = cursor.fetchone()
    if row is None:  # PostgreSQL compares uuid columns with uuid values
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
            row = cursor.fetchone()
    return row[0]


def test_draft_answers_and_file_names_are_not_stored_in_plain_text(client):
    step_url = start(client)
    draft = Draft.objects.latest("created_at")
    base = step_url.rsplit("/schritt/", 1)[0]
    response = client.post(
        step_url,
        {
            "f-strasse": "Geheimgasse",
            "f-hausnummer": "7",
            "f-plz": "99084",
            "f-wohnungsart": "alleinige",
            "action": "save",
        },
    )
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.data["strasse"] == "Geheimgasse"  # the application reads it back
    stored = raw("applications_draft", "data", draft.pk)
    assert stored.startswith(encryption.PREFIX)
    assert "Geheimgasse" not in stored and "strasse" not in stored
    attachment = DraftAttachment.objects.create(
        draft=draft,
        path="wohnungsgeberbestaetigung",
        filename="Mietvertrag Erika Mustermann.pdf",
        media_type="application/pdf",
        size=1,
        sha256="0" * 64,
        storage_name="x",
        kid="k",
        scan_status="not_scanned",
    )
    stored_name = raw("applications_draftattachment", "filename", attachment.pk)
    assert "Mustermann" not in stored_name and stored_name.startswith(encryption.PREFIX)
    assert DraftAttachment.objects.get(pk=attachment.pk).filename.endswith("Mustermann.pdf")
    assert client.get(base + "/schritt/1/").status_code == 200


def test_migration_encrypts_existing_plain_rows_and_can_undo_it(client):
    start(client)
    draft = Draft.objects.latest("created_at")
    plain = json.dumps({"familienname": "Klartext", "vornamen": "Alt"})
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE applications_draft SET data = %s WHERE id = %s",
            [plain, draft.pk.hex if connection.vendor == "sqlite" else draft.pk],
        )
    assert raw("applications_draft", "data", draft.pk) == plain
    migration.encrypt_rows(None, editor)
    stored = raw("applications_draft", "data", draft.pk)
    assert "Klartext" not in stored and stored.startswith(encryption.PREFIX)
    draft.refresh_from_db()
    assert draft.data == {"familienname": "Klartext", "vornamen": "Alt"}
    migration.encrypt_rows(None, editor)  # running again changes nothing
    assert Draft.objects.get(pk=draft.pk).data["familienname"] == "Klartext"
    migration.decrypt_rows(None, editor)
    assert json.loads(raw("applications_draft", "data", draft.pk))["vornamen"] == "Alt"


def test_a_draft_under_an_unknown_key_is_an_error_not_plain_text(client, settings):
    start(client)
    draft = Draft.objects.latest("created_at")
    other = encryption.Fernet.generate_key().decode()
    settings.VERBUND_PROFILE_ENCRYPTION_KEYS = [other]
    with pytest.raises(ValueError):
        Draft.objects.get(pk=draft.pk)
    assert uuid.UUID(str(draft.pk))
