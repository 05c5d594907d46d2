#!/usr/bin/env python
"""Build discovery/data/cluster_eval.json, the labelled set that `make score-clusters` scores.

    python scripts/build_cluster_eval.py      # rewrites discovery/data/cluster_eval.json

Articles: every page of the shared corpus (`<shared>/corpus/articles`, real news pages of November 2019
and some older blog posts). Title and publication time come from our own extraction of each page (what
the pipeline would store); the text is the corpus's human-annotated article body (`expected.jsonl`).

Labels: `EVENTS` below groups the pages that report the same event, read and judged by hand (titles and
first paragraphs); every other pair is "not the same event", including the near misses listed in
`HARD_NEGATIVES` (same topic or same people, another event). `COPIES` are crafted syndicated copies of
wire stories in the corpus, as a subscriber paper republishes them: another headline or the same, the
dateline or the last paragraphs cut, a footer or a "related" line added, quotes straightened. Each copy is
a duplicate of its source and belongs to its source's event. The copies' texts are made from the corpus at
scoring time (discovery/evaluation.py applies the edits), so the file holds no article text.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EVENTS = {
    "feather-duvet-lung": ["7bb1ca90", "a078b365", "bd673bd7"],
    "south-dakota-meth-campaign": ["156770d6", "3f65af7b", "776a1c04"],
    "europa-water-plumes": ["14cc2a0c", "686bb170"],
    "omar-threat-guilty-plea": ["6ebac05f", "7a457a4f"],
    "home-depot-q3-results": ["51374560", "f8ff621a"],
    "china-plague-cases": ["8b194530", "ba4dfe2d", "ea25dd7e"],
    "nasa-clps-five-companies": ["c50845a7", "d1c57d78"],
    "esa-astronaut-hibernation": ["b37be353", "e1c7023e"],
    "stadia-launch-performance": ["680c2848", "e100c961", "aade2ec8"],
    "impeachment-hearing-nov-19": ["7a664e40", "c90731f0"],
    "garrett-rudolph-fight": ["08f79376", "7ab16ade"],
}

HARD_NEGATIVES = [
    [
        "7a664e40",
        "82b6d780",
        "impeachment: Tuesday's hearing vs the preview of Sondland's Wednesday testimony",
    ],
    ["c90731f0", "82b6d780", "impeachment: White House on Tuesday's hearing vs Sondland preview"],
    ["7a664e40", "8380689f", "impeachment: hearing vs Yovanovitch net-worth fact check"],
    ["08f79376", "6a72de37", "Browns: the fight's aftermath vs the game's snap counts"],
    ["232a43fb", "65bf3048", "MacBook Pro: 13-inch rumour vs 16-inch review"],
    ["232a43fb", "ad826691", "MacBook: rumour vs Amazon deals"],
    ["042bb7b5", "680c2848", "Stadia: gaming subscriptions column vs launch reviews"],
    ["076f4f33", "16c30add", "Delhi air: oxygen bar fact check vs pollution law"],
    ["87bf6057", "c58aa507", "Epstein: Prince Andrew interview vs prison guards charged"],
    ["05844573", "06ee193d", "LA Auto Show: round-up vs one concept car"],
    ["05844573", "3cb22bfa", "LA Auto Show: round-up vs Audi e-tron Sportback"],
    ["360c732d", "624fcd90", "Hong Kong: Alibaba listing vs protests"],
    ["14cc2a0c", "359fee22", "planetary moons: Europa plumes vs Titan map"],
]

COPIES = [
    {
        "id": "copy-sondland-courier",
        "copy_of": "82b6d780",
        "publisher": "valley-courier.example",
        "title": "Unpredictable Sondland faces questions about Trump, Ukraine",
        "hours_later": 3,
        "edits": {
            "keep_paragraphs": 0.7,
            "append": "Copyright 2019 The Associated Press. All rights reserved. This material may not be "
            "published, broadcast, rewritten or redistributed.",
        },
    },
    {
        "id": "copy-sondland-herald",
        "copy_of": "82b6d780",
        "publisher": "northern-herald.example",
        "title": "Sondland, a wild card, takes questions on Trump and Ukraine",
        "hours_later": 8,
        "edits": {"keep_paragraphs": 0.5, "strip_prefix": "WASHINGTON (AP) — "},
    },
    {
        "id": "copy-tories-tribune",
        "copy_of": "e7994d55",
        "publisher": "lakeside-tribune.example",
        "title": "Conservatives accused of deceiving voters with 'factcheckUK' Twitter rename",
        "hours_later": 1,
        "edits": {"strip_prefix": "LONDON (AP) — ", "straight_quotes": True},
    },
    {
        "id": "copy-hibernation-daily",
        "copy_of": "b37be353",
        "publisher": "harbor-daily.example",
        "title": "Hibernating astronauts could make the trip to Mars easier, ESA study says",
        "hours_later": 5,
        "edits": {"insert_after_paragraph": [2, "RELATED: More science and space news on our site."]},
    },
    {
        "id": "copy-bart-stabbing-courier",
        "copy_of": "5caf91b8",
        "publisher": "valley-courier.example",
        "title": "Man stabbed to death on BART train in Hayward",
        "hours_later": 2,
        "edits": {"drop_first_paragraphs": 2},
    },
    {
        "id": "copy-patrick-herald",
        "copy_of": "a6968f42",
        "publisher": "northern-herald.example",
        "title": "Election 2020: Deval Patrick takes nascent 2020 campaign to South Carolina",
        "hours_later": 6,
        "edits": {"drop_last_paragraphs": 4},
    },
    {
        "id": "copy-pge-tribune",
        "copy_of": "d0382c0d",
        "publisher": "lakeside-tribune.example",
        "title": "PG&E cuts power to 375,000 as fire danger rises",
        "hours_later": 1,
        "edits": {"keep_paragraphs": 0.6},
    },
    {
        "id": "copy-esper-daily",
        "copy_of": "db6b0816",
        "publisher": "harbor-daily.example",
        "title": "Esper accuses China of intimidating smaller Asian nations",
        "hours_later": 4,
        "edits": {"replace": [["HANOI, Vietnam (AP) — ", "HANOI, Vietnam — "], ["U.S.", "US"]]},
    },
]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsreader.settings")
    import django

    django.setup()
    import logging

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    from articles.extraction import extract_article
    from discovery.evaluation import corpus_dir

    pages = corpus_dir() / "articles"
    labels = {short: event for event, shorts in EVENTS.items() for short in shorts}
    articles = []
    for line in (pages / "expected.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        extracted = extract_article((pages / f"{row['id']}.html").read_bytes(), url=row["url"])
        host = (urlsplit(row["url"]).hostname or "").removeprefix("www.")
        articles.append(
            {
                "id": row["id"],
                "publisher": host,
                "title": extracted.title if extracted else "",
                "published_at": extracted.published_at.isoformat()
                if extracted and extracted.published_at
                else None,
                "event": labels.get(row["id"][:8]),
            }
        )
    found = {a["id"][:8] for a in articles}
    missing = set(labels) - found
    if missing:
        raise SystemExit(f"labelled pages not in the corpus: {sorted(missing)}")
    full = {a["id"][:8]: a["id"] for a in articles}
    data = {
        "about": (
            "Story clustering evaluation: the shared corpus's articles labelled with the event they report "
            "(null: no other article reports it), and crafted syndicated copies of wire stories. Built by "
            "scripts/build_cluster_eval.py, which says how; scored by scripts/score_clusters.py."
        ),
        "articles": articles,
        "copies": [dict(c, copy_of=full[c["copy_of"]]) for c in COPIES],
        "hard_negatives": [[full[a], full[b], note] for a, b, note in HARD_NEGATIVES],
    }
    out = ROOT / "discovery" / "data" / "cluster_eval.json"
    out.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}: {len(articles)} articles, {len(COPIES)} copies")


if __name__ == "__main__":
    main()
