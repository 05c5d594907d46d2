"""A story waiting for its full text is indexed by its title and summary only; its body once the text is in.

A refresh inserts each new story with the feed's text, and extraction replaces that text seconds later.
With a generated column Postgres made the story's vector twice: over the feed's text on insert, then over
the page's text. That first vector, and its GIN entries, were more than half of the database's work for
each new story (about 0.55 of 0.95 ms here). A story whose page cannot be read keeps the feed's text, and
extraction then indexes that text.

Postgres: `search_vector` becomes a plain column (DROP EXPRESSION keeps every stored vector and does not
rewrite the table), filled by a BEFORE trigger. The trigger runs on an update only when the title, text,
summary or status is in the SET list, and leaves the vector alone when none of them changed.
SQLite: the FTS5 triggers index the same text, and run again when the status changes. On both databases
the stories stored before this migration keep their vectors until their next update.
See discovery/search_schema.py; the SQL is frozen here.
"""

from django.db import migrations

_PG_BODY = """
    CASE WHEN NEW.extraction_status = 'pending' THEN coalesce(NEW.summary, '')
         ELSE coalesce(nullif(NEW.text, ''), NEW.summary, '') END
"""

PG_FORWARD = [
    "ALTER TABLE articles_article ALTER COLUMN search_vector DROP EXPRESSION",
    f"""
    CREATE OR REPLACE FUNCTION discovery_article_search_vector() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE'
           AND NEW.title IS NOT DISTINCT FROM OLD.title
           AND NEW.text IS NOT DISTINCT FROM OLD.text
           AND NEW.summary IS NOT DISTINCT FROM OLD.summary
           AND NEW.extraction_status IS NOT DISTINCT FROM OLD.extraction_status THEN
            RETURN NEW;
        END IF;
        NEW.search_vector :=
            setweight(to_tsvector('simple'::regconfig, left(coalesce(NEW.title, ''), 1000)), 'A')
            || setweight(to_tsvector('simple'::regconfig, left({_PG_BODY}, 100000)), 'B');
        RETURN NEW;
    END
    $$
    """,
    """
    CREATE TRIGGER discovery_article_search_vector
    BEFORE INSERT OR UPDATE OF title, text, summary, extraction_status ON articles_article
    FOR EACH ROW EXECUTE FUNCTION discovery_article_search_vector()
    """,
]
# Back to the generated column of 0002 (a rewrite of the table: it has no SET EXPRESSION before 17).
PG_BACKWARD = [
    "DROP TRIGGER IF EXISTS discovery_article_search_vector ON articles_article",
    "DROP FUNCTION IF EXISTS discovery_article_search_vector()",
    "DROP INDEX IF EXISTS article_search_vector_idx",
    "ALTER TABLE articles_article DROP COLUMN IF EXISTS search_vector",
    """
    ALTER TABLE articles_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, left(coalesce(title, ''), 1000)), 'A')
        || setweight(to_tsvector('simple'::regconfig, left(coalesce(nullif(text, ''), summary, ''), 100000)), 'B')
    ) STORED
    """,
    "ALTER TABLE articles_article ALTER COLUMN search_vector SET STORAGE MAIN",
    "ALTER TABLE articles_article ALTER COLUMN search_vector SET STATISTICS 1000",
    "CREATE INDEX article_search_vector_idx ON articles_article USING GIN (search_vector)",
]


def _sqlite_values(body: str) -> str:
    return f"substr(coalesce(new.title, ''), 1, 1000), substr({body}, 1, 100000)"


_SQLITE_BODY = (
    "CASE WHEN new.extraction_status = 'pending' THEN coalesce(new.summary, '') "
    "ELSE coalesce(nullif(new.text, ''), new.summary, '') END"
)
_SQLITE_OLD_BODY = "coalesce(nullif(new.text, ''), new.summary, '')"


def _sqlite_triggers(body: str, update_of: str) -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS discovery_fts_after_insert",
        "DROP TRIGGER IF EXISTS discovery_fts_after_update",
        f"""
        CREATE TRIGGER discovery_fts_after_insert AFTER INSERT ON articles_article BEGIN
            INSERT INTO discovery_article_fts(rowid, title, body) VALUES (new.id, {_sqlite_values(body)});
        END
        """,
        f"""
        CREATE TRIGGER discovery_fts_after_update AFTER UPDATE OF {update_of} ON articles_article BEGIN
            DELETE FROM discovery_article_fts WHERE rowid = old.id;
            INSERT INTO discovery_article_fts(rowid, title, body) VALUES (new.id, {_sqlite_values(body)});
        END
        """,
    ]


# Stories stored before this migration keep their vectors (on both databases) until their next update.
SQLITE_FORWARD = _sqlite_triggers(_SQLITE_BODY, "title, text, summary, extraction_status")
SQLITE_BACKWARD = _sqlite_triggers(_SQLITE_OLD_BODY, "title, text, summary")


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("discovery", "0003_search_vector_statistics")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": PG_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": PG_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
