"""scripts/build_catalogue.py: the committed catalogue is what the sources give, and its grouping rules hold."""

import importlib.util
import json
import os
import re
import sys
from pathlib import Path

import pytest

from subscriptions.opml import parse_opml

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = Path(os.environ.get("NEWSREADER_SHARED_DIR", REPO_ROOT.parent / "shared"))
SOURCES = SHARED_DIR / "catalogue"
CATALOGUE = REPO_ROOT / "articles" / "data" / "publishers.json"

spec = importlib.util.spec_from_file_location("build_catalogue", REPO_ROOT / "scripts" / "build_catalogue.py")
build_catalogue = importlib.util.module_from_spec(spec)
sys.modules["build_catalogue"] = build_catalogue  # dataclasses look their module up there
spec.loader.exec_module(build_catalogue)


@pytest.fixture(scope="module")
def built():
    return build_catalogue.build(SOURCES)


@pytest.fixture(scope="module")
def shipped():
    return json.loads(CATALOGUE.read_text(encoding="utf-8"))


def test_it_matches_the_committed_catalogue_byte_for_byte(built):
    assert build_catalogue.render(built) == CATALOGUE.read_text(encoding="utf-8")


def test_it_is_deterministic():
    assert build_catalogue.render(build_catalogue.build(SOURCES)) == build_catalogue.render(
        build_catalogue.build(SOURCES)
    )


def test_the_check_option_passes_on_the_committed_file(capsys):
    assert build_catalogue.main(["--check"]) == 0
    assert "710 publishers, 781 feeds, 34 topics, 25 countries" in capsys.readouterr().out


def test_the_check_option_fails_on_a_stale_file(tmp_path, capsys):
    stale = tmp_path / "publishers.json"
    stale.write_text("[]\n")

    assert build_catalogue.main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err


def test_it_keeps_every_source_feed_exactly_once(shipped):
    source_urls = {f.xml_url for path in SOURCES.glob("*.opml") for f in parse_opml(path.read_bytes()).feeds}
    shipped_urls = [url for publisher in shipped for url in publisher["feeds"]]

    assert len(shipped_urls) == len(set(shipped_urls)) == len(source_urls) == 781
    assert set(shipped_urls) == source_urls


def test_every_publisher_has_the_documented_fields(shipped):
    assert len(shipped) >= 150
    assert [p["slug"] for p in shipped] == sorted({p["slug"] for p in shipped})
    for publisher in shipped:
        assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", publisher["slug"]), publisher["slug"]
        assert publisher["name"] and len(publisher["name"]) <= 200
        assert publisher["site_url"] == "" or publisher["site_url"].startswith(("http://", "https://"))
        assert publisher["category"] and (
            publisher["category_guessed"] or publisher["category"] in publisher["categories"]
        )
        assert publisher["country"] == "" or publisher["country"] in publisher["countries"]
        assert re.fullmatch(r"[a-z]{2}", publisher["language"])
        assert publisher["language_guessed"] is (publisher["language_source"] in ("country", "default"))
        assert publisher["logo_url"] == ""
        assert publisher["feeds"] == sorted(publisher["feeds"])
        assert set(publisher["feed_titles"]) == set(publisher["feeds"])


def by_slug(shipped, slug):
    return next(p for p in shipped if p["slug"] == slug)


def test_it_groups_the_feeds_of_one_site(shipped):
    guardian = by_slug(shipped, "the-guardian")

    assert guardian["name"] == "The Guardian"
    assert guardian["site_url"] == "https://www.theguardian.com/"
    assert len(guardian["feeds"]) == 8
    assert {"Fashion", "Space", "Travel"} <= set(guardian["categories"])
    assert guardian["category"] == "News"
    assert len(by_slug(shipped, "bbc")["feeds"]) == 12


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("http://feeds.feedburner.com/TechCrunch", "http://feeds.feedburner.com/codinghorror"),
        ("http://feeds.feedburner.com/blogspot/hsDu", "http://feeds.feedburner.com/blogspot/WOBq"),
        ("https://www.reddit.com/r/android/.rss", "https://www.reddit.com/r/apple/.rss"),
        (
            "https://www.youtube.com/feeds/videos.xml?user=Apple",
            "https://www.youtube.com/feeds/videos.xml?user=TheVerge",
        ),
        ("https://feeds.megaphone.fm/lore", "https://feeds.megaphone.fm/replyall"),
        ("https://medium.com/feed/androiddevelopers", "https://medium.com/feed/better-programming"),
        ("https://androidauthority.libsyn.com/rss", "https://ducttape.libsyn.com/rss"),
        ("https://timesofindia.indiatimes.com/x.cms", "https://economictimes.indiatimes.com/x.cms"),
    ],
)
def test_it_keeps_apart_publishers_on_a_shared_host(one, other):
    assert build_catalogue.publisher_key(one) != build_catalogue.publisher_key(other)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("http://feeds.bbci.co.uk/news/rss.xml", "https://podcasts.files.bbci.co.uk/p02nrsl2.rss"),
        (
            "https://rss.nytimes.com/services/xml/rss/nyt/World.xml",
            "https://www.nytimes.com/svc/japan/rss.xml",
        ),
        ("https://www.reddit.com/r/sports.rss", "https://reddit.com/r/Sports/.rss"),
        ("https://film.avclub.com/rss", "https://tv.avclub.com/rss"),
        (
            "http://feeds.feedburner.com/autonews/AutomakerNews",
            "http://feeds.feedburner.com/autonews/EditorsPicks",
        ),
    ],
)
def test_it_joins_feeds_of_one_publisher(one, other):
    assert build_catalogue.publisher_key(one) == build_catalogue.publisher_key(other)


@pytest.mark.parametrize(
    ("title", "label", "expected"),
    [
        ("Fashion | The Guardian", "theguardian", "The Guardian"),
        ("NYT > World News", "nytimes", "NYT"),
        ("La Dépêche du Midi : actualités - ladepeche.fr", "ladepeche", "La Dépêche du Midi"),
        ("Design MilkArchitecture – Design Milk", "designmilk", "Design Milk"),
        ("Top World News- News18.com", "news18", "News18.com"),
        ("Latest Hindi News | - Amar Ujala", "amarujala", "Amar Ujala"),
        ("Autocar RSS Feed", "autocar", "Autocar"),
        ("https://www.engadget.com/", "engadget", "engadget.com"),
    ],
)
def test_it_finds_the_publisher_in_a_feed_title(title, label, expected):
    assert build_catalogue.name_candidate(title, label)[0] == expected


@pytest.mark.parametrize(
    ("country", "urls", "titles", "descriptions", "expected"),
    [
        ("France", ["https://www.france24.com/en/rss"], "france24.com", "", ("en", "url")),
        ("France", ["https://x.fr/rss"], "Le Monde.fr - Actualités et Infos en France", "", ("fr", "words")),
        ("France", ["https://x.fr/rss"], "Paris Star", "", ("fr", "country")),
        ("Japan", ["https://x.jp/rss"], "朝日新聞デジタル", "", ("ja", "script")),
        ("Ukraine", ["https://x.ua/rss"], "Gazeta.ua", "Новини України та світу", ("uk", "script")),
        ("Russia", ["https://x.ru/rss"], "Газета.Ru", "", ("ru", "script")),
        ("Iran", ["https://x.ir/rss"], "عصر ايران", "", ("fa", "script")),
        (
            "India",
            ["https://x.in/rss"],
            "लोकसत्ता ताज्या बातम्या, मराठी बातम्या आणि मुळ बातम्या",
            "",
            ("mr", "script"),
        ),
        ("", ["https://x.com/rss"], "The Verge", "All the latest tech news", ("en", "words")),
        ("", ["https://x.com/rss"], "Kotaku", "", ("en", "default")),
    ],
)
def test_it_guesses_the_language(country, urls, titles, descriptions, expected):
    assert build_catalogue.guess_language(country, urls, titles, descriptions) == expected
