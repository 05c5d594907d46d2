"""The evaluation set and its pairwise scores (what `make score-clusters` prints)."""

from discovery.evaluation import (
    apply_edits,
    groups_from_links,
    hard_negative_pairs,
    load_eval_set,
    pair_score,
)


def test_pairwise_scores_count_pairs_of_the_same_label():
    gold = {"a": "x", "b": "x", "c": "x", "d": None, "e": "y", "f": "y"}
    predicted = {"a": 1, "b": 1, "c": 2, "d": 2, "e": None, "f": None}
    score = pair_score(gold, predicted)
    # gold pairs: ab ac bc ef; predicted pairs: ab cd
    assert (score.true_positives, score.false_positives, score.false_negatives) == (1, 1, 3)
    assert score.precision == 0.5 and score.recall == 0.25


def test_groups_from_links_joins_chains():
    groups = groups_from_links("abcd", [("b", "a"), ("c", "b")])
    assert groups["a"] == groups["b"] == groups["c"] and groups["d"] is None


def test_edits_make_a_copy_as_a_subscriber_paper_would():
    text = "CITY (AP) — One.\n\nTwo “quoted”.\n\nThree.\n\nFour."
    copy = apply_edits(
        text,
        {
            "strip_prefix": "CITY (AP) — ",
            "straight_quotes": True,
            "drop_last_paragraphs": 1,
            "append": "End.",
        },
    )
    assert copy == 'One.\n\nTwo "quoted".\n\nThree.\n\nEnd.'


def test_the_set_is_labelled_consistently():
    articles = load_eval_set()
    by_key = {a.key: a for a in articles}
    events = {}
    for a in articles:
        if a.event:
            events.setdefault(a.event, []).append(a)
    assert all(len(members) >= 2 for members in events.values())
    assert sum(len(m) * (len(m) - 1) // 2 for m in events.values()) >= 25
    for a in articles:
        if a.copy_of:
            assert a.event == by_key[a.copy_of].event and a.text != by_key[a.copy_of].text
    for first, second, _ in hard_negative_pairs():
        assert by_key[first].event is None or by_key[first].event != by_key[second].event
