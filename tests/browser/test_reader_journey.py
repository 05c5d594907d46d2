"""A newcomer's first session, in a real browser: sign up, follow, read, save, import, keyboard."""

import re
from html import escape

import pytest
from playwright.sync_api import expect

from tests.factories import FeedFactory, PublisherFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _catalogue(publisher_server, names):
    """Catalogue publishers whose feeds are simulated sites; returns {name: Site}."""
    sites = {}
    for name in names:
        site = publisher_server.site(name, n_items=4)
        title = name.replace("-", " ").title()
        FeedFactory(
            url=site.feed_url,
            title=title,
            publisher=PublisherFactory(name=title, slug=name, category="General", country="Canada"),
        )
        sites[name] = site
    return sites


def _sign_up(page, live_server, username="newreader"):
    page.goto(f"{live_server.url}/accounts/signup/")
    page.get_by_label("Username").fill(username)
    page.locator("#id_password1").fill("a long pass phrase")
    page.get_by_label("Password confirmation").fill("a long pass phrase")
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_url(re.compile(r"/publishers/$"))


def test_a_newcomer_follows_reads_saves_and_imports(
    live_server, publisher_server, new_page, eager_tasks, fast_passwords, tmp_path
):
    sites = _catalogue(publisher_server, ["daily-planet", "gotham-gazette", "northern-star", "valley-voice"])
    page = new_page()

    # Sign up; the directory welcomes the new reader.
    _sign_up(page, live_server)
    expect(page.get_by_role("heading", name="Publishers", level=1)).to_be_visible()

    # Follow a publisher from the directory, found by a live search, in one click.
    page.get_by_label("Search publishers by name").fill("planet")
    cards = page.locator(".publisher-card")
    expect(cards).to_have_count(1)
    cards.get_by_role("button", name="Follow Daily Planet").click()
    expect(cards.locator("[data-follow-button]")).to_have_attribute("aria-pressed", "true")
    expect(cards.get_by_text("Following")).to_be_visible()

    # Its stories are in the river.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="River").click()
    stories = page.locator("[data-story]")
    expect(stories).to_have_count(4)
    first_title = stories.first.locator("[data-story-link]").inner_text()
    assert "Daily Planet" in stories.first.inner_text()

    # j/k move the selection through the river (once its scripts have run: the stories are on the page
    # before the deferred keys.js is, and a key pressed in between does nothing).
    page.wait_for_load_state("load")
    page.keyboard.press("j")
    expect(stories.nth(0)).to_have_class(re.compile(r"\bis-selected\b"))
    page.keyboard.press("j")
    expect(stories.nth(1)).to_have_class(re.compile(r"\bis-selected\b"))
    expect(stories.nth(0)).not_to_have_class(re.compile(r"\bis-selected\b"))
    page.keyboard.press("k")
    expect(stories.nth(0)).to_have_class(re.compile(r"\bis-selected\b"))

    # Open the first story: its full text, and save it for later.
    stories.first.locator("[data-story-link]").click()
    expect(page.locator("h1#article-title")).to_have_text(first_title)
    assert len(page.locator(".reader__body").inner_text()) > 200
    save = page.locator(".reader__actions [data-key-save]")
    save.click()
    expect(page.locator(".reader__actions [data-key-save]")).to_have_attribute("aria-pressed", "true")

    # It is in Read later.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Lists").click()
    page.get_by_role("link", name="Read later").first.click()
    expect(page.get_by_text(first_title).first).to_be_visible()

    # Import an OPML file from another reader: two new feeds, one already followed.
    opml = tmp_path / "old-reader.opml"
    outlines = "".join(
        f'<outline text="{escape(n)}" xmlUrl="{escape(sites[n].feed_url)}"/>'
        for n in ("gotham-gazette", "northern-star", "daily-planet")
    )
    opml.write_text(
        f'<?xml version="1.0"?><opml version="2.0"><head><title>Old</title></head><body>'
        f'<outline text="Imported">{outlines}</outline></body></opml>'
    )
    page.goto(f"{live_server.url}/subscriptions/import/")
    page.get_by_label("OPML file").set_input_files(str(opml))
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Done: 3 feeds handled")).to_be_visible()
    expect(page.get_by_text("2 followed")).to_be_visible()
    expect(page.get_by_text("1 already followed")).to_be_visible()

    # The subscriptions page shows the folder the file brought.
    page.goto(f"{live_server.url}/subscriptions/")
    expect(page.get_by_role("heading", name=re.compile("Imported"))).to_be_visible()
    expect(page.locator(".sub-row")).to_have_count(3)
    assert not page.js_errors, page.js_errors


def test_adding_a_site_by_its_address_shows_a_preview_first(
    live_server, publisher_server, new_page, eager_tasks, fast_passwords
):
    publisher_server.site("harbour-herald", n_items=3)
    page = new_page(viewport={"width": 375, "height": 780})
    _sign_up(page, live_server, username="phone")

    page.goto(f"{live_server.url}/subscriptions/")
    page.get_by_label("Address of a site or a feed").fill(publisher_server.url("/sites/harbour-herald/"))
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_text("Found")).to_be_visible()
    expect(page.locator(".preview__item-title")).to_have_count(3)
    page.get_by_role("button", name="Follow", exact=True).click()
    expect(page.locator("#subscription-list .alert")).to_have_text("You now follow “Harbour Herald”.")
    expect(page.locator(".sub-row")).to_have_count(1)
    expect(page.locator(".preview")).to_have_count(0)  # the add card is empty again

    page.get_by_label("Address of a site or a feed").fill("http://127.0.0.1:9/nothing")
    page.get_by_role("button", name="Look up").click()
    expect(page.get_by_role("alert")).to_contain_text("could not be reached")
    assert not page.js_errors, page.js_errors


def test_the_theme_toggle_is_remembered_without_a_flash(live_server, new_page, fast_passwords):
    page = new_page(color_scheme="light")
    page.goto(f"{live_server.url}/accounts/login/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(250, 249, 246)"
    page.get_by_role("button", name=re.compile("theme")).click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.reload()
    # theme.js runs in <head>, before the first paint: the stored choice holds from the start.
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(22, 23, 26)"
