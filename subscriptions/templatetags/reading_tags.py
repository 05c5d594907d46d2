"""Template helpers for the river, the article page and reading lists."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from html import escape as html_escape
from urllib.parse import urlsplit

from django import template
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.html import escape
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def http_url(value: str | None) -> str:
    """The address if it is an absolute http(s) URL, else "": addresses from feeds are hostile."""
    url = (value or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    return url if parts.scheme in ("http", "https") and parts.netloc else ""


@register.filter
def short_age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, as a river shows it: "now", "5m", "3h", "2d", then the date ("12 Mar")."""
    if value is None:
        return ""
    now = now or timezone.now()
    seconds = (now - value).total_seconds()
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    if seconds < 7 * 86400:
        return f"{int(seconds // 86400)}d"
    local = timezone.localtime(value)
    if local.year == timezone.localtime(now).year:
        return f"{local.day} {local:%b}"
    return f"{local.day} {local:%b} {local.year}"


_PLACEHOLDER = 987654321987


@lru_cache(maxsize=256)
def _url_pattern(name: str, with_id: bool, script_prefix: str) -> str:
    return reverse(name, args=[_PLACEHOLDER] if with_id else None)


@register.simple_tag
def fast_url(name: str, object_id: int | None = None) -> str:
    """`{% url name id %}` for the routes a river card repeats 30 times: reversed once per route (and
    script prefix), then the id is put in its place. reverse() was a third of a card's render time."""
    pattern = _url_pattern(name, object_id is not None, get_script_prefix())
    return pattern if object_id is None else pattern.replace(str(_PLACEHOLDER), str(int(object_id)))


@register.simple_tag(takes_context=True)
def include_optional(context, name: str) -> SafeString:
    """`{% include name %}` of a template another engineer provides, or nothing while it does not exist.

    Renders with the current context, as {% include %} does: no copy of the context for each story.
    """
    try:
        fragment = get_template(name)
    except TemplateDoesNotExist:
        return SafeString("")
    with context.push():
        return SafeString(fragment.template.render(context))  # type: ignore[attr-defined]  # Django's backend template


# --- River cards, drawn in Python --------------------------------------------------------------------
#
# The river draws 30 cards on every page view. As a template (an include per card, two button includes
# with their {% csrf_token %}, filters, an optional discovery include) they cost about 1.3 ms each, most
# of the page's time; as plain string building below, under 0.1 ms. The markup is the one the card
# templates had: keep `_story.html`, `_save_button.html` and `_read_button.html` in step with it.

_SAVE_ICON = (
    '<svg class="icon-save" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">'
    '<path d="M6 3h12v18l-6-4-6 4z" stroke="currentColor" stroke-width="2" stroke-linejoin="round"/></svg>'
)
_READ_ICON = (
    '<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false">'
    '<path d="M5 12l4 4 10-10" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" '
    'stroke-linejoin="round"/></svg>'
)


_META_SEP = "\n      "


def _also_in_html(info) -> str:  # noqa: ANN001 - discovery's ClusterInfo or None
    """`discovery/_also_in.html`: "Also in N sources", the other publishers named in its title."""
    if info is None or not info.other_count:
        return ""
    n = info.other_count
    names = escape(", ".join(info.other_publishers))
    copy = "Syndicated copy · " if info.is_duplicate else ""
    return f'<span class="also-in" title="Also in {names}">{copy}Also in {n} source{"" if n == 1 else "s"}</span>'


def _time_html(published: datetime | None, now: datetime | None, *, title_prefix: str = "") -> str:
    """`<time>` with the ISO date, the full date in its title and the short age ("3h") as its text."""
    if published is None:
        return f'<time datetime="" title="{title_prefix}"></time>'
    local = timezone.localtime(published)
    full = f"{local.day} {MONTHS[local.month]} {local.year}, {local:%H:%M}"
    return f'<time datetime="{local.isoformat()}" title="{title_prefix}{full}">{short_age(published, now)}</time>'


def _image_html(url: str) -> str:
    """A card's lead image, or nothing when its URL is not http(s)."""
    image = http_url(url)
    if not image:
        return ""
    return (
        f'<img class="story__image" src="{html_escape(image)}" alt="" loading="lazy" decoding="async" '
        'referrerpolicy="no-referrer">'
    )


class _IdRoute:
    """A route with an id, as the two halves of its reversed URL around the id."""

    __slots__ = ("head", "tail")

    def __init__(self, name: str, prefix: str) -> None:
        self.head, self.tail = _url_pattern(name, True, prefix).split(str(_PLACEHOLDER), 1)

    def __call__(self, pk: int) -> str:
        return f"{self.head}{pk}{self.tail}"


class CardKit:
    """What every card of a page shares, worked out once a page rather than once a card: the routes'
    URLs under the current script prefix, the time zone, the month names, the hidden inputs. Looking up
    the script prefix, the time zone and the translated month names (thread- and context-locals) was a
    third of a card's cost."""

    def __init__(
        self, *, csrf_token: str, article_query: str = "", next_url: str = "", now: datetime | None = None
    ) -> None:
        prefix = get_script_prefix()
        self.river_url = _url_pattern("subscriptions:river", False, prefix)
        self.detail = _IdRoute("subscriptions:article-detail", prefix)
        self.save = _IdRoute("subscriptions:article-save", prefix)
        self.unsave = _IdRoute("subscriptions:article-unsave", prefix)
        self.mark_read = _IdRoute("subscriptions:article-mark-read", prefix)
        self.mark_unread = _IdRoute("subscriptions:article-mark-unread", prefix)
        self.csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{html_escape(csrf_token)}">'
        self.next_input = (
            f'<input type="hidden" name="next" value="{html_escape(next_url)}">' if next_url else ""
        )
        self.query = html_escape(article_query)
        self.query_input = (
            f'<input type="hidden" name="article_query" value="{self.query}">' if article_query else ""
        )
        self.now = now or timezone.now()
        self.tz = timezone.get_current_timezone()
        self.this_year = self.now.astimezone(self.tz).year
        self._months: dict[int, str] = {}

    def time_html(self, published: datetime | None) -> str:
        """_time_html(published, now): the same markup."""
        if published is None:
            return '<time datetime="" title=""></time>'
        local = (
            published.astimezone(self.tz) if published.tzinfo is not None else timezone.localtime(published)
        )
        month = self._months.get(local.month)
        if month is None:
            month = self._months[local.month] = str(MONTHS[local.month])
        seconds = (self.now - published).total_seconds()
        if seconds < 60:
            age = "now"
        elif seconds < 3600:
            age = f"{int(seconds // 60)}m"
        elif seconds < 86400:
            age = f"{int(seconds // 3600)}h"
        elif seconds < 7 * 86400:
            age = f"{int(seconds // 86400)}d"
        elif local.year == self.this_year:
            age = f"{local.day} {local:%b}"
        else:
            age = f"{local.day} {local:%b} {local.year}"
        return (
            f'<time datetime="{local.isoformat()}" title="{local.day} {month} {local.year}, {local:%H:%M}">'
            f"{age}</time>"
        )


def story_card_html(
    story,  # noqa: ANN001 - an Article from river_for_user (is_read, is_saved, publisher)
    *,
    csrf_token: str = "",
    article_query: str = "",
    next_url: str = "",
    cluster_info=None,  # noqa: ANN001 - discovery's ClusterInfo of the story, if any
    now: datetime | None = None,
    kit: CardKit | None = None,
) -> str:
    """One river card (`_story.html`), with its Save and Read toggles. A page of cards shares one `kit`
    (else one is made from the other arguments)."""
    if kit is None:
        kit = CardKit(csrf_token=csrf_token, article_query=article_query, next_url=next_url, now=now)
    pk = int(story.pk)
    is_read = bool(getattr(story, "is_read", False))
    is_saved = bool(getattr(story, "is_saved", False))
    csrf = kit.csrf
    next_input = kit.next_input

    meta = [
        f'<a class="publisher" href="{kit.river_url}?publisher={int(story.publisher_id)}">'
        f"{html_escape(story.publisher.name)}</a>",
        kit.time_html(story.published_at),
    ]
    if story.reading_time:
        meta.append(f"<span>{int(story.reading_time)} min read</span>")
    also_in = _also_in_html(cluster_info)
    if also_in:
        meta.append(also_in)
    if is_read:
        meta.append('<span class="visually-hidden">(read)</span>')

    title = html_escape((story.title or story.url or "")[:300])
    summary = story.summary or ""
    excerpt = f'<p class="story__excerpt">{html_escape(summary[:600])}</p>' if summary else ""

    save_action = kit.unsave(pk) if is_saved else kit.save(pk)
    read_action = kit.mark_unread(pk) if is_read else kit.mark_read(pk)
    read_label = "Mark unread" if is_read else "Mark read"
    image_html = _image_html(story.lead_image_url)
    return (
        f'<li class="story{" is-read" if is_read else ""}" id="story-{pk}" data-story data-article-id="{pk}">\n'
        '  <div class="story__body">\n'
        f'    <p class="story__meta">\n      {_META_SEP.join(meta)}\n    </p>\n'
        f'    <h2 class="story__title" id="title-{pk}"><a href="{kit.detail(pk)}'
        f'{kit.query}" data-story-link>{title}</a></h2>\n'
        f"    {excerpt}\n"
        '    <div class="story__actions">\n'
        f'<form class="toggle-form" method="post" action="{save_action}" hx-post="{save_action}" '
        'hx-target="this" hx-swap="outerHTML">\n'
        f'  {csrf}<input type="hidden" name="fragment" value="save">{next_input}\n'
        f'  <button type="submit" class="btn btn-sm btn-quiet" aria-pressed="{"true" if is_saved else "false"}" '
        f'aria-describedby="title-{pk}" data-key-save title="Save to Read later (s)">\n'
        f"    {_SAVE_ICON}\n    <span>Save</span>\n  </button>\n</form>\n"
        f'<form class="toggle-form" method="post" action="{read_action}" hx-post="{read_action}" '
        'hx-target="closest .story" hx-swap="outerHTML">\n'
        f'  {csrf}<input type="hidden" name="fragment" value="card">{kit.query_input}{next_input}\n'
        f'  <button type="submit" class="btn btn-sm btn-quiet" aria-describedby="title-{pk}" data-key-mark '
        f'title="Mark as {"unread" if is_read else "read"} (m)">\n'
        f"    {_READ_ICON}\n    <span>{read_label}</span>\n  </button>\n</form>\n"
        "    </div>\n"
        "  </div>\n"
        f"  {image_html}\n"
        "</li>\n"
    )


@register.simple_tag(takes_context=True)
def story_cards(context, stories, cluster_infos=None) -> SafeString:  # noqa: ANN001
    """The cards of a page of the river; `cluster_infos` maps article id to discovery's ClusterInfo."""
    kit = CardKit(
        csrf_token=str(context.get("csrf_token") or ""),
        article_query=context.get("article_query") or "",
        next_url=context.get("next") or "",
    )
    infos = cluster_infos or {}
    return SafeString(
        "".join(story_card_html(story, cluster_info=infos.get(story.pk), kit=kit) for story in stories)
    )


@register.simple_tag
def river_source_options(sources, river_filter) -> SafeString:  # noqa: ANN001
    """The <optgroup>s of the river's "showing" menu: one <option> per followed feed (there may be
    hundreds), built as a string rather than a template loop."""
    parts = []
    for folder, subscriptions in sources.groups:
        label = html_escape(folder.name) if folder else "Not in a folder"
        parts.append(f'<optgroup label="{label}">')
        if folder:
            selected = " selected" if river_filter.folder_id == folder.pk else ""
            parts.append(
                f'<option value="folder:{int(folder.pk)}"{selected}>All of {html_escape(folder.name)}</option>'
            )
        for sub in subscriptions:
            selected = " selected" if river_filter.feed_id == sub.feed_id else ""
            parts.append(
                f'<option value="feed:{int(sub.feed_id)}"{selected}>{html_escape(sub.display_title)}</option>'
            )
        parts.append("</optgroup>")
    return SafeString("\n".join(parts))


@register.simple_tag(takes_context=True)
def story_card(context, story, cluster_infos=None) -> SafeString:  # noqa: ANN001
    """One card (the htmx answer after Mark read / unread on a card)."""
    return story_cards(context, [story], cluster_infos)


def list_item_card_html(item, *, csrf_token: str, now: datetime | None = None) -> str:  # noqa: ANN001
    """One saved story of a reading list (`_list_item.html`): an item from reading_list_items_for_user
    (is_read, article and publisher), with Archive (or Move back) and Remove."""
    article = item.article
    pk, article_pk = int(item.pk), int(article.pk)
    csrf = f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(csrf_token)}">'
    meta = [f'<span class="publisher">{escape(article.publisher.name)}</span>']
    meta.append(_time_html(article.published_at, now, title_prefix="Published "))
    if article.reading_time:
        meta.append(f"<span>{int(article.reading_time)} min read</span>")
    if item.is_read:
        meta.append('<span class="badge">Read</span>')
    else:
        meta.append('<span class="badge badge-accent">Unread</span>')
    if item.archived:
        meta.append('<span class="badge">Archived</span>')
    title = escape((article.title or article.url or "")[:300])
    summary = article.summary or ""
    excerpt = f'<p class="story__excerpt">{escape(summary[:600])}</p>' if summary else ""
    if item.archived:
        item_action, item_label = (
            fast_url("subscriptions:reading-list-item-restore", pk),
            "Move back to the list",
        )
    else:
        item_action, item_label = fast_url("subscriptions:reading-list-item-archive", pk), "Archive"
    remove = fast_url("subscriptions:reading-list-item-remove", pk)
    image_html = _image_html(article.lead_image_url)
    return (
        f'<li class="story{" is-read" if item.is_read else ""}" id="item-{pk}" data-story '
        f'data-article-id="{article_pk}">\n'
        '  <div class="story__body">\n'
        f'    <p class="story__meta">\n      {_META_SEP.join(meta)}\n    </p>\n'
        f'    <h2 class="story__title" id="title-{article_pk}"><a href="'
        f'{fast_url("subscriptions:article-detail", article_pk)}" data-story-link>{title}</a></h2>\n'
        f"    {excerpt}\n"
        '    <div class="story__actions">\n'
        f'      <form method="post" action="{item_action}" hx-post="{item_action}" hx-target="closest .story" '
        'hx-swap="outerHTML">\n'
        f"        {csrf}\n"
        f'        <button type="submit" class="btn btn-sm btn-quiet" aria-describedby="title-{article_pk}">'
        f"{item_label}</button>\n      </form>\n"
        f'      <form method="post" action="{remove}" hx-post="{remove}" hx-target="closest .story" '
        'hx-swap="outerHTML">\n'
        f"        {csrf}\n"
        f'        <button type="submit" class="btn btn-sm btn-quiet" aria-describedby="title-{article_pk}">'
        "Remove</button>\n      </form>\n"
        "    </div>\n"
        "  </div>\n"
        f"  {image_html}\n"
        "</li>\n"
    )


@register.simple_tag(takes_context=True)
def list_item_cards(context, items) -> SafeString:  # noqa: ANN001
    """The cards of a page of a reading list (`_list_item.html` for each)."""
    csrf_token = str(context.get("csrf_token") or "")
    now = timezone.now()
    return SafeString("".join(list_item_card_html(item, csrf_token=csrf_token, now=now) for item in items))


@register.simple_tag(takes_context=True)
def list_item_card(context, item) -> SafeString:  # noqa: ANN001
    return list_item_cards(context, [item])
