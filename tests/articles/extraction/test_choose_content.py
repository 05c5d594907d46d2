from articles.extraction import ChosenContent, Extracted, choose_content
from articles.sanitizing import word_count


def _extracted(text: str) -> Extracted:
    return Extracted(
        title="T",
        author="",
        published_at=None,
        lead_image_url="",
        language="en",
        text=text,
        content_html=f"<p>{text}</p>",
        word_count=word_count(text),
    )


def _words(n: int) -> str:
    return " ".join(f"w{i}" for i in range(n))


def test_it_keeps_the_feed_content_when_nothing_was_extracted():
    chosen = choose_content(None, feed_text="short summary", feed_html="<p>short summary</p>")
    assert chosen == ChosenContent(
        source="feed", html="<p>short summary</p>", text="short summary", word_count=2
    )


def test_it_takes_the_extracted_text_over_a_feed_summary():
    chosen = choose_content(_extracted(_words(600)), feed_text=_words(40), feed_html="")
    assert chosen.source == "extracted"
    assert chosen.html == f"<p>{_words(600)}</p>"
    assert chosen.word_count == 600


def test_it_takes_the_extracted_text_when_the_feed_has_none():
    assert choose_content(_extracted("a few words"), feed_text="", feed_html="").source == "extracted"


def test_it_takes_the_extraction_at_exactly_eight_tenths_of_the_feed_words():
    assert choose_content(_extracted(_words(80)), feed_text=_words(100), feed_html="").source == "extracted"


def test_it_falls_back_to_the_feed_when_the_extraction_has_less_than_eight_tenths_of_its_words():
    chosen = choose_content(_extracted(_words(79)), feed_text=_words(100), feed_html="<p>full</p>")
    assert chosen.source == "feed"
    assert chosen.html == "<p>full</p>"


def test_it_counts_the_feed_html_when_no_feed_text_is_given():
    feed_html = "<p>" + _words(500) + "</p>"
    assert choose_content(_extracted(_words(100)), feed_text="", feed_html=feed_html).source == "feed"
