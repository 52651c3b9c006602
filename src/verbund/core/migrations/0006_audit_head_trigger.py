"""The database stores the hash of the entry at the chain head's position in the head, in
the statement that inserts the entry (decision 0034): an append is then two statements, the
head's advance and the insert. An entry inserted anywhere else leaves the head alone, so
`verify-audit` still names it."""

from django.db import migrations

SQLITE = [
    """
    CREATE TRIGGER core_auditentry_head AFTER INSERT ON core_auditentry
    WHEN NEW.position IS NOT NULL
    BEGIN
        UPDATE core_auditchainhead SET last_hash = NEW.entry_hash
        WHERE id = 1 AND position = NEW.position;
    END
    """
]
SQLITE_REVERSE = ["DROP TRIGGER IF EXISTS core_auditentry_head"]

POSTGRESQL = [
    """
    CREATE FUNCTION core_auditentry_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE core_auditchainhead SET last_hash = NEW.entry_hash
        WHERE id = 1 AND position = NEW.position;
        RETURN NULL;
    END
    $$
    """,
    """
    CREATE TRIGGER core_auditentry_head AFTER INSERT ON core_auditentry
    FOR EACH ROW WHEN (NEW.position IS NOT NULL) EXECUTE FUNCTION core_auditentry_head()
    """,
]
POSTGRESQL_REVERSE = [
    "DROP TRIGGER IF EXISTS core_auditentry_head ON core_auditentry",
    "DROP FUNCTION IF EXISTS core_auditentry_head()",
]


def _run(statements: dict[str, list[str]]):  # type: ignore[no-untyped-def]
    def run(apps, schema_editor):  # type: ignore[no-untyped-def]
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("core", "0005_page_generation")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": POSTGRESQL_REVERSE}),
        )
    ]
