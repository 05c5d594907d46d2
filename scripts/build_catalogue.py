#!/usr/bin/env python
"""Build the shipped publisher catalogue, articles/data/publishers.json, from the OPML lists.

    python scripts/build_catalogue.py            # write the file
    python scripts/build_catalogue.py --check    # exit 1 if the committed file is out of date

The sources are the CC0 lists of plenaryapp/awesome-rss-feeds, kept in the shared folder next to the
repository (`<repo root>/../shared/catalogue`, or `$NEWSREADER_SHARED_DIR/catalogue`). `countries__*` files give
a publisher's country, `recommended__*` files its topics. They are read with the product's own tolerant OPML
reader, since many are not well-formed XML.

Feeds become publishers by site: feeds on the same registrable domain are one publisher (the BBC's news,
sport and podcast feeds), except on hosts shared by unrelated publishers (FeedBurner, YouTube, Reddit, podcast hosts, blog
platforms), where the path, query or subdomain names the publisher. Nothing here fetches anything; the
language is inferred (see `language_source`), and the output is deterministic: same sources, same bytes.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from catalogue_curation import (  # noqa: E402
    CCTLD_COUNTRIES,
    COUNTRY_LANGUAGES,
    GENERIC_WORDS,
    HOST_DOMAINS,
    KEY_ALIASES,
    LATIN_LANGUAGES,
    OVERRIDES,
    PATH_HOSTS,
    SCRIPT_LANGUAGES,
    SECOND_LEVEL,
    STOPWORDS,
    TECHNICAL_SUBDOMAINS,
)

from subscriptions.opml import parse_opml  # noqa: E402

OUTPUT = REPO_ROOT / "articles" / "data" / "publishers.json"
DEFAULT_CATEGORY = "News"  # the country lists are lists of news sources

# --- Which feeds belong to one publisher ---------------------------------------------------------------------


def registrable_domain(host: str) -> str:
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def publisher_key(url: str) -> str:
    """Feeds with the same key are one publisher."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    segments = [s for s in parts.path.split("/") if s]
    domain = registrable_domain(host)
    key: str
    if domain == "youtube.com":
        query = parse_qs(parts.query)
        kind = next((k for k in ("channel_id", "user", "playlist_id") if k in query), "")
        key = f"youtube:{kind}:{query[kind][0].lower()}" if kind else f"host:{host}"
    elif domain == "reddit.com" and len(segments) >= 2 and segments[0] == "r":
        key = f"reddit:{segments[1].removesuffix('.rss').lower()}"
    elif host in PATH_HOSTS and segments:
        # feeds.feedburner.com/blogspot/hsDu, medium.com/feed/androiddevelopers: the first segment is shared.
        taken = PATH_HOSTS[host] + (segments[0] in ("blogspot", "com", "feed"))
        label = "feedburner" if domain == "feedburner.com" or host == "feedproxy.google.com" else host
        key = f"{label}:{'/'.join(segments[:taken]).lower()}"
    elif domain in HOST_DOMAINS:
        key = f"host:{host.removeprefix('www.')}"
    else:
        key = f"domain:{domain}"
    return KEY_ALIASES.get(key, key)


def site_url_for(key: str, feed_urls: list[str]) -> str:
    """The publisher's home page as far as its feed addresses tell; empty where they cannot (FeedBurner)."""
    if "site_url" in OVERRIDES.get(key, {}):
        return OVERRIDES[key]["site_url"]
    kind, _, rest = key.partition(":")
    scheme = "https" if any(u.startswith("https:") for u in feed_urls) else "http"
    if kind == "youtube":
        what, _, name = rest.partition(":")
        original = parse_qs(urlsplit(feed_urls[0]).query)[what][0]
        path = {"user": "user", "channel_id": "channel", "playlist_id": "playlist?list="}[what]
        return f"https://www.youtube.com/{path}{'' if path.endswith('=') else '/'}{original}"
    if kind == "reddit":
        return f"https://www.reddit.com/r/{urlsplit(feed_urls[0]).path.split('/')[2].removesuffix('.rss')}/"
    if kind == "medium.com":
        return f"https://medium.com/{rest.split('/')[-1]}/"
    if kind not in ("domain", "host"):
        return ""  # FeedBurner and podcast hosts say nothing about the site
    hosts = sorted({urlsplit(u).hostname or "" for u in feed_urls}, key=lambda h: (len(h), h))
    host = hosts[0]
    first_label, _, rest_of_host = host.partition(".")
    if first_label in TECHNICAL_SUBDOMAINS:
        host = "www." + (registrable_domain(host) if kind == "domain" else rest_of_host)
    return f"{scheme}://{host}/"


# --- Names -----------------------------------------------------------------------------------------------

# " - ", " | ", " > ", "News- News18.com", a leading "- ", "Title: subtitle".
SEPARATORS = re.compile(r"\s+[-–—|>·•»:]+\s+|\s*\|\s*|(?<=\w)[-–—]\s+|^\s*[-–—|]+\s*|:\s+|:$")
FEED_SUFFIX = re.compile(r"\s+(?:RSS(?:\s+News)?\s+Feed|RSS|Feed)$", re.IGNORECASE)


def squash(text: str) -> str:
    """Lowercase letters and digits only, accents removed: for comparing names with domains."""
    text = unicodedata.normalize("NFKD", text)
    return "".join(c for c in text.lower() if c.isalnum() and not unicodedata.combining(c))


def is_generic(name: str) -> bool:
    return all(word in GENERIC_WORDS for word in re.findall(r"\w+", name.lower()))


def name_candidate(title: str, label: str) -> tuple[str, bool]:
    """The part of a feed title that names the publisher, and whether it matched the domain."""
    segments = [FEED_SUFFIX.sub("", s.strip(" :-–—|")) for s in SEPARATORS.split(title)]
    # A title that is the site's address: "https://www.engadget.com/" names "engadget.com".
    segments = [re.sub(r"^https?://(?:www\.)?", "", s).rstrip("/") for s in segments]
    segments = [s for s in segments if s]
    if not segments:
        return "", False
    squashed = [squash(s) for s in segments]
    for segment, flat in zip(segments, squashed, strict=True):
        if flat and flat == label:
            return segment, True
    for segment, flat in zip(segments, squashed, strict=True):
        if (
            flat
            and len(label) >= 3
            and (label in flat or (len(flat) >= 3 and flat in label and not is_generic(segment)))
        ):
            return segment, True
    return segments[0], False


def publisher_name(key: str, feed_urls: list[str], titles: dict[str, str], site_url: str) -> str:
    if "name" in OVERRIDES.get(key, {}):
        return OVERRIDES[key]["name"]
    kind, _, rest = key.partition(":")
    if kind == "reddit":
        return "r/" + urlsplit(feed_urls[0]).path.split("/")[2].removesuffix(".rss")
    first_title = next((titles[u] for u in feed_urls if titles[u]), "")
    if kind == "youtube":
        return f"{first_title or rest.split(':')[-1]} (YouTube)"
    host = (urlsplit(feed_urls[0]).hostname or "").removeprefix("www.")
    if kind == "domain":
        label = squash(rest.split(".")[0])
    elif kind == "host":
        label = squash(host.split(".")[0])
    else:
        label = squash(rest.split("/")[-1])
    candidates = [name_candidate(titles[u], label) for u in feed_urls if titles[u]]
    matched = Counter(name for name, ok in candidates if ok)
    pool = matched or Counter(name for name, _ in candidates if not is_generic(name))
    if not pool:
        # Only section titles ("World", "Updates"): the address is the better name.
        return (
            (urlsplit(site_url).hostname or host).removeprefix("www.") if kind in ("domain", "host") else rest
        )

    best = max(pool.items(), key=lambda item: (item[1], -len(item[0]), item[0]))[0]
    if len(pool) > 1:
        # "POPSUGAR Beauty" and "POPSUGAR Fashion": the words they share name the publisher.
        shared: list[str] = []
        for column in zip(*(name.split() for name in pool), strict=False):
            if len(set(column)) != 1:
                break
            shared.append(column[0])
        if shared and label and label in squash(" ".join(shared)):
            best = " ".join(shared)
    return best.removeprefix("www.")[:200]


def is_mostly_latin(text: str) -> bool:
    scripts = scripts_of(text)
    return scripts["LATIN"] >= 0.7 * sum(scripts.values()) if scripts else False


def ascii_slug(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80].strip("-")


def clean_description(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    text = " ".join(text.split())
    return text if len(text) <= 500 else text[:499].rsplit(" ", 1)[0] + "…"


# --- Language ------------------------------------------------------------------------------------------

STOPWORD_SETS = {language: set(words.split()) for language, words in STOPWORDS.items()}
# /en/rss, news_eng.rss, ?lang=en, /english/: an English edition.
ENGLISH_URL = re.compile(r"(?:^|/)(?:en|eng|english)(?:/|$)|_eng?\.|[?&](?:lang|hl|language|locale)=en\b")


def scripts_of(text: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for character in text:
        if character.isalpha():
            counts[unicodedata.name(character, "UNKNOWN").split()[0]] += 1
    return counts


def script_language(country: str, text: str) -> str:
    """The language a non-Latin script points to, when at least 30% of the letters are in one; else ""."""
    scripts = scripts_of(text)
    non_latin = {script: n for script, n in scripts.items() if script != "LATIN"}
    if not scripts or sum(non_latin.values()) < 0.3 * sum(scripts.values()):
        return ""
    script = max(non_latin.items(), key=lambda item: (item[1], item[0]))[0]
    if "HIRAGANA" in non_latin or "KATAKANA" in non_latin:
        return "ja"
    if script == "CJK":
        return "ja" if country == "Japan" else "zh"
    if script == "CYRILLIC":
        return "uk" if any(c in text.lower() for c in "іїєґ") else "ru"
    if script == "ARABIC":
        return {"Iran": "fa", "Pakistan": "ur"}.get(country, "ar")
    if script == "DEVANAGARI" and "ळ" in text:
        return "mr"  # a letter Marathi uses and Hindi does not
    return SCRIPT_LANGUAGES.get(script, "")


def guess_language(country: str, feed_urls: list[str], titles: str, descriptions: str) -> tuple[str, str]:
    """(language, source); source is url, script, words, country or default, from strongest to weakest
    (an entry of OVERRIDES gives "curated").

    A non-Latin script in the titles, else in the descriptions, decides; Latin text is weighed by common
    words of English against those of the country's language.
    """
    for url in feed_urls:
        parts = urlsplit(url)
        if ENGLISH_URL.search(f"{parts.path}?{parts.query}") or (parts.hostname or "").startswith(
            ("english.", "en.")
        ):
            return "en", "url"
    for text in (titles, descriptions):
        language = script_language(country, text)
        if language:
            return language, "script"
    words = re.findall(r"\w+", f"{titles} {descriptions}".lower())
    local = COUNTRY_LANGUAGES.get(country, "en")
    english_hits = sum(w in STOPWORD_SETS["en"] for w in words)
    if local in LATIN_LANGUAGES and local != "en":
        local_hits = sum(w in STOPWORD_SETS[local] for w in words)
        if local_hits > english_hits:
            return local, "words"
        if english_hits > local_hits:
            return "en", "words"
        return local, "country"
    if english_hits:
        return "en", "words"
    return "en", ("country" if country else "default")


# --- Building ----------------------------------------------------------------------------------------------


@dataclass
class FeedInfo:
    url: str
    title: str = ""
    description: str = ""
    topics: Counter[str] = field(default_factory=Counter)
    countries: Counter[str] = field(default_factory=Counter)


def read_sources(source_dir: Path) -> dict[str, FeedInfo]:
    files = sorted(source_dir.glob("*.opml"))
    if not files:
        raise SystemExit(f"no OPML files in {source_dir}")
    feeds: dict[str, FeedInfo] = {}
    for path in files:
        kind = path.name.split("__", 1)[0]
        document = parse_opml(path.read_bytes())
        for feed in document.feeds:
            info = feeds.setdefault(feed.xml_url, FeedInfo(url=feed.xml_url))
            info.title = info.title or feed.title
            info.description = info.description or feed.description
            label = feed.folder or path.stem.rsplit("__", 1)[-1].replace("_", " ")
            (info.countries if kind == "countries" else info.topics)[label] += 1
    return feeds


def primary(counts: Counter[str], preferred: str = "") -> str:
    if not counts:
        return ""
    if preferred in counts:
        return preferred
    return min(counts.items(), key=lambda item: (-item[1], item[0]))[0]


def primary_country(key: str, countries: Counter[str], site_url: str) -> str:
    """The list the publisher is in; on a tie, the one its domain names (.fr, .co.uk)."""
    if "country" in OVERRIDES.get(key, {}):
        return OVERRIDES[key]["country"]
    top_level = (urlsplit(site_url).hostname or "").rsplit(".", 1)[-1]
    if CCTLD_COUNTRIES.get(top_level) in countries:
        return CCTLD_COUNTRIES[top_level]
    return primary(countries)


def build(source_dir: Path) -> list[dict[str, Any]]:
    feeds = read_sources(source_dir)
    groups: dict[str, list[str]] = {}
    for url in sorted(feeds):
        groups.setdefault(publisher_key(url), []).append(url)

    publishers: list[dict[str, Any]] = []
    used_slugs: set[str] = set()
    for key in sorted(groups):
        # The shortest address first: usually the publisher's main feed.
        urls = sorted(groups[key], key=lambda u: (len(u), u))
        infos = [feeds[u] for u in urls]
        titles = {u: feeds[u].title for u in urls}
        site_url = site_url_for(key, urls)
        name = publisher_name(key, urls, titles, site_url)
        topics = sum((i.topics for i in infos), Counter())
        countries = sum((i.countries for i in infos), Counter())
        country = primary_country(key, countries, site_url)
        description = next(
            (clean_description(i.description) for i in infos if clean_description(i.description)), ""
        )
        if squash(description) == squash(name):
            description = ""
        language, source = guess_language(
            country, urls, " ".join([name, *(i.title for i in infos)]), " ".join(i.description for i in infos)
        )
        if "language" in OVERRIDES.get(key, {}):
            language, source = OVERRIDES[key]["language"], "curated"

        kind, _, rest = key.partition(":")
        address = (
            (urlsplit(site_url).hostname or "").removeprefix("www.") if kind in ("domain", "host") else ""
        )
        base = (
            (ascii_slug(name) if is_mostly_latin(name) else "") or ascii_slug(address or rest) or "publisher"
        )
        slug = base
        if slug in used_slugs:
            slug = f"{base}-{ascii_slug(key.partition(':')[2])}"[:100].strip("-")
        number = 2
        while slug in used_slugs:
            slug, number = f"{base}-{number}", number + 1
        used_slugs.add(slug)

        publishers.append(
            {
                "name": name,
                "slug": slug,
                "site_url": site_url,
                "description": description,
                "category": primary(topics, preferred="News") or DEFAULT_CATEGORY,
                "categories": sorted(topics),
                "category_guessed": not topics,
                "country": country,
                "countries": sorted({*countries, country} - {""}),
                "language": language,
                "language_guessed": source in ("country", "default"),
                "language_source": source,
                "logo_url": "",
                "feeds": sorted(urls),
                "feed_titles": {u: titles[u] for u in sorted(urls)},
            }
        )
    publishers.sort(key=lambda p: str(p["slug"]))
    return publishers


def render(publishers: list[dict[str, Any]]) -> str:
    return json.dumps(publishers, ensure_ascii=False, indent=1) + "\n"


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("NEWSREADER_SHARED_DIR") or REPO_ROOT.parent / "shared")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=shared / "catalogue", help="folder of OPML files")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="only check that the output is up to date")
    args = parser.parse_args(argv)

    publishers = build(args.source)
    text = render(publishers)
    feeds = sum(len(p["feeds"]) for p in publishers)
    summary = (
        f"{len(publishers)} publishers, {feeds} feeds, "
        f"{len({c for p in publishers for c in p['categories']})} topics, "
        f"{len({c for p in publishers for c in p['countries']})} countries"
    )
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if current != text:
            print(
                f"{args.output.name} is out of date ({summary}); run scripts/build_catalogue.py",
                file=sys.stderr,
            )
            return 1
        print(f"{args.output.name} is up to date: {summary}")
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(
        f"wrote {args.output.relative_to(REPO_ROOT) if args.output.is_relative_to(REPO_ROOT) else args.output}: {summary}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
