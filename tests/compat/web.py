"""What the web pages show, read back from their HTML, to compare with what a client app holds."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import html


@dataclass(frozen=True)
class WebStory:
    title: str
    is_read: bool
    is_saved: bool


def web_river(client, *, query: str = "show=all") -> dict[int, WebStory]:
    """The stories of the signed-in user's river page (all of them, read or not), by article id."""
    response = client.get(f"/?{query}")
    assert response.status_code == 200
    tree = html.fromstring(response.content)
    stories = {}
    for card in tree.xpath('//li[contains(concat(" ", @class, " "), " story ")][@data-article-id]'):
        title = card.xpath('.//*[contains(@class, "story__title")]//a')[0].text_content().strip()
        saved = card.xpath(".//button[@data-key-save]/@aria-pressed") == ["true"]
        stories[int(card.get("data-article-id"))] = WebStory(
            title=title, is_read="is-read" in card.get("class", "").split(), is_saved=saved
        )
    return stories
