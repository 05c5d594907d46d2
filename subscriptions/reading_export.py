"""A reading list as Markdown, JSON or a standalone HTML page. Pure: items in, text out.

Titles and addresses come from feeds and pages, so they are hostile: Markdown escapes its syntax,
HTML is autoescaped by the template, and only http(s) addresses become links.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote, urlsplit

from django.template.loader import render_to_string
from django.utils import timezone


@dataclass
class ExportItem:
    title: str
    url: str
    publisher: str
    author: str
    published_at: datetime
    added_at: datetime
    archived: bool
    read: bool

    @classmethod
    def from_item(cls, item) -> ExportItem:
        """From a ReadingListItem of `reading_list_items_for_user` (article, publisher and is_read loaded)."""
        article = item.article
        return cls(
            title=" ".join((article.title or "").split()) or (article.url or "Untitled"),
            url=safe_url(article.url),
            publisher=article.publisher.name,
            author=article.author or "",
            published_at=article.published_at,
            added_at=item.added_at,
            archived=item.archived,
            read=bool(getattr(item, "is_read", False)),
        )


def safe_url(url: str | None) -> str:
    """The address if it is an absolute http(s) URL, else "" (no javascript: or data: links)."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _markdown_url(url: str) -> str:
    # Inside <...> a link destination may hold anything but <, > and line breaks: percent-encode those.
    return quote(url, safe="/:?#[]@!$&'()*+,;=%~-._")


def export_markdown(*, name: str, items: Iterable[ExportItem]) -> str:
    lines = [f"# {markdown_escape(name)}", ""]
    for item in items:
        title = markdown_escape(item.title)
        link = f"[{title}](<{_markdown_url(item.url)}>)" if item.url else title
        details = [markdown_escape(item.publisher), item.published_at.date().isoformat()]
        if item.author:
            details.insert(1, markdown_escape(item.author))
        flags = [flag for flag, on in (("read", item.read), ("archived", item.archived)) if on]
        suffix = f" ({', '.join(flags)})" if flags else ""
        lines.append(f"- {link} — {', '.join(details)}{suffix}")
    return "\n".join(lines) + "\n"


def export_json(*, name: str, items: Iterable[ExportItem]) -> dict:
    return {
        "list": name,
        "exported_at": timezone.now().isoformat(),
        "items": [
            {
                "title": item.title,
                "url": item.url,
                "publisher": item.publisher,
                "author": item.author,
                "published_at": item.published_at.isoformat(),
                "added_at": item.added_at.isoformat(),
                "read": item.read,
                "archived": item.archived,
            }
            for item in items
        ],
    }


def export_html(*, name: str, items: Iterable[ExportItem]) -> str:
    return render_to_string(
        "subscriptions/reading/export.html",
        {"name": name, "items": list(items), "exported_at": timezone.now()},
    )
