"""The full-text index of articles, one per database, kept in step with articles_article by the database.

Postgres: a tsvector column `search_vector` on articles_article (title weighted 'A', body 'B'), filled by
a BEFORE INSERT OR UPDATE trigger, and a GIN index on it.
SQLite: an FTS5 table `discovery_article_fts` (rowid = article id) filled by triggers on articles_article.

What is indexed: the title, and as the body the story's text, or its summary when it has no text. A story
still waiting for its full text (extraction status 'pending') is indexed by its title and summary only:
its text is the feed's, replaced by the page's text seconds later, and indexing it first cost more than
half of the database's work for each new story (discovery/migrations/0004). When the page cannot be read,
the status changes and the feed's text is indexed then.

Both use a language-neutral tokenizer: Postgres' 'simple' configuration and FTS5's unicode61 with
diacritics kept. Stories come in many languages, often with no or a wrong language tag, and the language
of a query is unknown; a stemmer chosen per row would need the query stemmed the same way. Exact words
(lowercased) behave the same for every language and give the same results on both databases.

The migrations `discovery/migrations/0002_article_search.py` and `0004_search_vector_by_trigger.py`
create these (their SQL is frozen there).
`search_schema_repair` runs after every `migrate`: Django rebuilds a SQLite table to alter it (new table,
copy, drop, rename), and the drop takes our triggers with it; this puts them back and refills the index.
"""

from __future__ import annotations

import logging

from django.db import connections

logger = logging.getLogger(__name__)

FTS_TABLE = "discovery_article_fts"
TITLE_CHARS = 1000
BODY_CHARS = 100_000

# The body: the summary while the story waits for its full text, then the text (the summary if none).
_BODY = (
    "CASE WHEN {row}extraction_status = 'pending' THEN coalesce({row}summary, '') "
    "ELSE coalesce(nullif({row}text, ''), {row}summary, '') END"
)
_SQLITE_VALUES = (
    f"substr(coalesce(new.title, ''), 1, {TITLE_CHARS}), substr({_BODY.format(row='new.')}, 1, {BODY_CHARS})"
)

SQLITE_TRIGGERS = {
    "discovery_fts_after_insert": f"""
        CREATE TRIGGER IF NOT EXISTS discovery_fts_after_insert AFTER INSERT ON articles_article BEGIN
            INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, {_SQLITE_VALUES});
        END""",
    "discovery_fts_after_delete": f"""
        CREATE TRIGGER IF NOT EXISTS discovery_fts_after_delete AFTER DELETE ON articles_article BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
        END""",
    "discovery_fts_after_update": f"""
        CREATE TRIGGER IF NOT EXISTS discovery_fts_after_update
        AFTER UPDATE OF title, text, summary, extraction_status ON articles_article BEGIN
            DELETE FROM {FTS_TABLE} WHERE rowid = old.id;
            INSERT INTO {FTS_TABLE}(rowid, title, body) VALUES (new.id, {_SQLITE_VALUES});
        END""",
}

SQLITE_REFILL = f"""
    INSERT INTO {FTS_TABLE}(rowid, title, body)
    SELECT id, substr(coalesce(title, ''), 1, {TITLE_CHARS}),
           substr({_BODY.format(row="")}, 1, {BODY_CHARS})
    FROM articles_article
"""


def search_schema_repair(*, using: str = "default") -> bool:
    """Put back the SQLite triggers if a table rebuild dropped them, and refill the index from the
    articles. Returns True when it had to. Safe to repeat; a no-op on Postgres and before our migration."""
    connection = connections[using]
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for name, _ in cursor.fetchall()}
        if FTS_TABLE not in present or "articles_article" not in present:
            return False
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        if not missing:
            return False
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
        cursor.execute(f"DELETE FROM {FTS_TABLE}")
        cursor.execute(SQLITE_REFILL)
    logger.warning("search index triggers restored and index refilled", extra={"missing": missing})
    return True
