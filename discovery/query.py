"""What a person types into the search box -> a query both databases accept. Pure: no ORM.

The syntax is the web-search one that Postgres' websearch_to_tsquery understands, and nothing else:
words (all must match), "quoted phrases", `-word` to exclude, and `or` between two alternatives. The
parser keeps only what it understands, so no input, however hostile, reaches the database as raw
full-text syntax: for SQLite FTS5 every word and phrase is written as a double-quoted string (FTS5 then
applies its tokenizer inside the quotes, and operators, colons, stars or brackets are plain text); for
Postgres the normalised string goes to websearch_to_tsquery, which never raises on any input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 256
MAX_TERMS = 16

_TOKEN = re.compile(r'(-?)"([^"]*)"?|(\S+)')
# Letters and digits: both tokenizers split on everything else, the underscore included.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


@dataclass(frozen=True)
class Term:
    """One word or phrase: its words (lowercase), and whether it must be absent."""

    words: tuple[str, ...]
    negated: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class ParsedQuery:
    """Groups of alternatives: every group must match (AND), any term of a group will do (OR)."""

    groups: tuple[tuple[Term, ...], ...] = ()
    excluded: tuple[Term, ...] = ()
    words: tuple[str, ...] = field(default=())  # every positive word, for highlighting and display

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def to_websearch(self) -> str:
        """The normalised query as web-search syntax (`a "b c" or d -e`), for display and links."""
        parts: list[str] = []
        for group in self.groups:
            parts.append(" or ".join(_websearch_term(term) for term in group))
        parts.extend("-" + _websearch_term(term) for term in self.excluded)
        return " ".join(parts)

    def to_fts5(self) -> str:
        """The query for SQLite FTS5: `("a" AND ("b c" OR "d")) NOT "e"`, every term double-quoted."""
        clauses = []
        for group in self.groups:
            rendered = [_fts5_string(term) for term in group]
            clauses.append(rendered[0] if len(rendered) == 1 else "(" + " OR ".join(rendered) + ")")
        query = " AND ".join(clauses)
        if self.excluded:
            query = f"({query})" + "".join(" NOT " + _fts5_string(term) for term in self.excluded)
        return query

    def tsquery_terms(self) -> tuple[list[list[str]], list[str]]:
        """The terms for Postgres, one websearch_to_tsquery each, combined with && and || in SQL (so
        that `a b or c` means a AND (b OR c), as in FTS5, and not websearch's (a AND b) OR c)."""
        return (
            [[_websearch_term(term) for term in group] for group in self.groups],
            [_websearch_term(term) for term in self.excluded],
        )


def _websearch_term(term: Term) -> str:
    return f'"{" ".join(term.words)}"' if term.is_phrase else term.words[0]


def _fts5_string(term: Term) -> str:
    # Only word characters and spaces are left in a term, so there is no quote to escape.
    return '"' + " ".join(term.words) + '"'


def parse_query(text: str | None) -> ParsedQuery:
    """Parse a search box. Words keep only their letters and digits ("e-mail" is the phrase "e mail",
    as both databases' tokenizers read it); anything without a letter or digit is dropped; a query of
    only exclusions is empty (it would match nearly everything)."""
    text = (text or "")[:MAX_QUERY_CHARS]
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    pending_or = False
    count = 0
    for match in _TOKEN.finditer(text):
        if count >= MAX_TERMS:
            break
        negated, phrase, bare = match.group(1) == "-", match.group(2), match.group(3)
        if bare is not None:
            if bare.lower() == "or":
                pending_or = bool(groups)
                continue
            negated = bare.startswith("-") and len(bare) > 1
            raw = bare[1:] if negated else bare
        else:
            raw = phrase or ""
        words = tuple(w.lower() for w in _WORD.findall(raw))
        if not words:
            continue
        term = Term(words=words, negated=negated)
        count += 1
        if negated:
            excluded.append(term)
            pending_or = False
        elif pending_or and groups:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    positive = tuple(dict.fromkeys(w for group in groups for term in group for w in term.words))
    return ParsedQuery(
        groups=tuple(tuple(g) for g in groups),
        excluded=tuple(excluded) if groups else (),
        words=positive,
    )
