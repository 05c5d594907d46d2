"""Server-side prepared statements for the queries every page runs (Postgres only).

Postgres plans a query each time it gets its text: for the river's query (a semi-join on what the
reader follows, two anti-joins, the read and saved flags) planning took 2-3 ms, as long as running it.
A statement prepared once per connection is planned on its first executions, then Postgres keeps a
generic plan, and each later EXECUTE costs only the run. Our compiled queries (compiled_sql) have the
same text for every reader, so a handful of statements serve every page.

A statement is prepared only outside a transaction: a PREPARE that Postgres refuses (a parameter whose
type it cannot tell) would otherwise break the caller's transaction. Such a query then runs as it is.
Set DB_PREPARED_STATEMENTS=0 behind a pooler that hands one client several server sessions (pgbouncer
in transaction mode), where a statement prepared on one session is unknown on the next.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import connection

_PLACEHOLDER = re.compile(r"%%|%s")
_UNPREPARABLE = object()


def _numbered(sql: str) -> str:
    """Django's `%s` placeholders as Postgres' `$1, $2, ...`; `%%` back to `%`."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match[0] == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql)


def _statements() -> dict[str, Any]:
    """This connection's prepared statements by SQL text; forgotten when Django opens a new one."""
    raw = connection.connection
    state = getattr(connection, "_newsreader_prepared", None)
    if state is None or state[0] is not raw:
        state = (raw, {})
        connection._newsreader_prepared = state  # type: ignore[attr-defined]
    return state[1]


def execute_prepared(cursor, sql: str, params: list) -> None:  # noqa: ANN001 - a Django cursor
    """`cursor.execute(sql, params)`, through a statement prepared on this connection when it can be."""
    if (
        connection.vendor != "postgresql"
        or not settings.DB_PREPARED_STATEMENTS
        or connection.connection is None
    ):
        cursor.execute(sql, params)
        return
    statements = _statements()
    name = statements.get(sql)
    if name is None and not connection.in_atomic_block:
        name = f"newsreader_{len(statements)}"
        import psycopg

        try:
            # On the driver's connection, not Django's cursor: preparing is not one of the page's queries.
            connection.connection.execute(f"PREPARE {name} AS {_numbered(sql)}")
        except psycopg.Error:
            name = _UNPREPARABLE
        statements[sql] = name
    if name is None or name is _UNPREPARABLE:
        cursor.execute(sql, params)
        return
    arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
    cursor.execute(f"EXECUTE {name}{arguments}", params)
