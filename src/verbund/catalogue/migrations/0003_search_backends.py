"""The database side of the search: an FTS5 table on SQLite; on PostgreSQL the pg_trgm
extension, a generated tsvector column with a GIN index, and a trigram index on the
vocabulary (typo correction). Both index the tokens of Verbund's own German analyser."""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_search_fts USING fts5(
        names, name_parts, terms, term_parts, body,
        tokenize = "unicode61 remove_diacritics 0"
    )
    """,
    """
    INSERT INTO catalogue_search_fts(rowid, names, name_parts, terms, term_parts, body)
    SELECT service_id, names, name_parts, terms, term_parts, body FROM catalogue_searchentry
    """,
]
SQLITE_BACKWARD = ["DROP TABLE IF EXISTS catalogue_search_fts"]

# The columns hold analysed tokens already (folded, Snowball-German-stemmed, decompounded),
# so the 'simple' configuration only splits them; a second stemming would change them.
POSTGRES_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """
    ALTER TABLE catalogue_searchentry ADD COLUMN document tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple', names), 'A')
        || setweight(to_tsvector('simple', terms), 'B')
        || setweight(to_tsvector('simple', name_parts || ' ' || term_parts), 'C')
        || setweight(to_tsvector('simple', body), 'D')
    ) STORED
    """,
    # fastupdate off: the index is rebuilt in bulk, and a pending list left from that
    # would make every later search scan it (and the planner shun the index).
    """
    CREATE INDEX catalogue_searchentry_document ON catalogue_searchentry
    USING GIN (document) WITH (fastupdate = off)
    """,
    """
    CREATE INDEX catalogue_searchterm_word_trgm
    ON catalogue_searchterm USING GIN (word gin_trgm_ops) WITH (fastupdate = off)
    """,
]
POSTGRES_BACKWARD = [
    "DROP INDEX IF EXISTS catalogue_searchterm_word_trgm",
    "DROP INDEX IF EXISTS catalogue_searchentry_document",
    "ALTER TABLE catalogue_searchentry DROP COLUMN IF EXISTS document",
]


def _run(statements):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in statements.get(vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("catalogue", "0002_lebenslagen_ozg_texts_and_search"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": POSTGRES_FORWARD}),
            _run({"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRES_BACKWARD}),
        ),
    ]
