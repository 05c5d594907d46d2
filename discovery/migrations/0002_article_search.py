"""Full-text search over articles: a generated tsvector column and a GIN index on Postgres, an FTS5 table
kept by triggers on SQLite. See discovery/search_schema.py for the why; the SQL is frozen here."""

from django.db import migrations

PG_FORWARD = [
    """
    ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, left(coalesce(title, ''), 1000)), 'A')
        || setweight(to_tsvector('simple'::regconfig, left(coalesce(nullif(text, ''), summary, ''), 100000)), 'B')
    ) STORED
    """,
    # Keep the vector in the row (compressed) rather than in TOAST when it fits: a search for a common
    # word walks the newest rows by date and tests each one's vector, and a TOAST fetch per row would
    # cost three more page reads.
    "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE MAIN",
    "CREATE INDEX article_search_vector_idx ON articles_article USING GIN (search_vector)",
]
PG_BACKWARD = [
    "DROP INDEX IF EXISTS article_search_vector_idx",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
]

_VALUES = (
    "substr(coalesce(new.title, ''), 1, 1000), "
    "substr(coalesce(nullif(new.text, ''), new.summary, ''), 1, 100000)"
)
SQLITE_FORWARD = [
    """
    CREATE VIRTUAL TABLE IF NOT EXISTS discovery_article_fts
    USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 0')
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS discovery_fts_after_insert AFTER INSERT ON articles_article BEGIN
        INSERT INTO discovery_article_fts(rowid, title, body) VALUES (new.id, {_VALUES});
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS discovery_fts_after_delete AFTER DELETE ON articles_article BEGIN
        DELETE FROM discovery_article_fts WHERE rowid = old.id;
    END
    """,
    f"""
    CREATE TRIGGER IF NOT EXISTS discovery_fts_after_update
    AFTER UPDATE OF title, text, summary ON articles_article BEGIN
        DELETE FROM discovery_article_fts WHERE rowid = old.id;
        INSERT INTO discovery_article_fts(rowid, title, body) VALUES (new.id, {_VALUES});
    END
    """,
    """
    INSERT INTO discovery_article_fts(rowid, title, body)
    SELECT id, substr(coalesce(title, ''), 1, 1000), substr(coalesce(nullif(text, ''), summary, ''), 1, 100000)
    FROM articles_article
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS discovery_fts_after_insert",
    "DROP TRIGGER IF EXISTS discovery_fts_after_delete",
    "DROP TRIGGER IF EXISTS discovery_fts_after_update",
    "DROP TABLE IF EXISTS discovery_article_fts",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("discovery", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
