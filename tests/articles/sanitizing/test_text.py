from articles.sanitizing import content_hash, html_to_text, reading_time_minutes, word_count


def test_it_separates_blocks_with_a_blank_line_and_keeps_inline_text_together():
    html = (
        "<h2>Title</h2><p>Hello <b>wor</b>ld, <a href='x'>link</a>.</p><blockquote><p>Quote</p></blockquote>"
    )
    assert html_to_text(html) == "Title\n\nHello world, link.\n\nQuote"


def test_it_puts_list_items_and_line_breaks_on_their_own_lines():
    assert html_to_text("<p>a<br>b</p><ul><li>one</li><li>two</li></ul><p>after</p>") == (
        "a\nb\n\none\ntwo\n\nafter"
    )


def test_it_collapses_source_whitespace_but_not_preformatted_lines():
    assert html_to_text("<p>  spread\n   over\tlines </p><pre>x = 1\ny = 2</pre>") == (
        "spread over lines\n\nx = 1\ny = 2"
    )


def test_it_keeps_the_lines_of_elements_inside_pre_but_not_after_it():
    html = "<pre>a\n<b>b\nc</b> d\ne</pre> f\n g"
    assert html_to_text(html) == "a\nb\nc d\ne\n\nf g"


def test_it_collapses_every_kind_of_unicode_space_as_str_split_does():
    spaces = "\u00a0\u2003\u3000\x1c\u2028\x0b"
    assert html_to_text(f"<p>{spaces}one{spaces}two {spaces}</p><p>{spaces}</p><p>three</p>") == (
        "one two\n\nthree"
    )


def test_it_ignores_scripts_styles_and_comments_but_keeps_the_text_after_them():
    html = "<p>a<!-- hidden -->b<script>var x</script> c<style>p{}</style></p>"
    assert html_to_text(html) == "ab c"


def test_it_decodes_entities_and_separates_table_cells():
    assert (
        html_to_text("<table><tr><td>Fish &amp; chips</td><td>&pound;5</td></tr></table>")
        == "Fish & chips £5"
    )


def test_it_returns_an_empty_string_for_empty_or_blank_html():
    assert html_to_text("") == ""
    assert html_to_text("   ") == ""
    assert html_to_text("<p></p><!-- x -->") == ""


def test_it_copes_with_broken_markup():
    assert html_to_text("<p>unclosed <b>bold <i>both</p>tail</div></span>") == "unclosed bold both\n\ntail"


def test_it_counts_words_and_each_han_or_kana_character():
    assert word_count("Hello, world! It's 2024.") == 5
    assert word_count("") == 0
    assert word_count("東京は晴れ") == 5
    assert word_count("Überraschung — naïve café") == 3


def test_it_rounds_reading_time_at_230_words_a_minute_with_a_minimum_of_one():
    assert reading_time_minutes(0) == 0
    assert reading_time_minutes(1) == 1
    assert reading_time_minutes(230) == 1
    assert reading_time_minutes(460) == 2
    assert reading_time_minutes(1000) == 4
    assert reading_time_minutes(1100) == 5


def test_it_hashes_text_the_same_whatever_its_spacing_or_case():
    assert content_hash("Hello  World\n\nAgain") == content_hash("hello world again")
    assert content_hash("ｆｕｌｌｗｉｄｔｈ") == content_hash("fullwidth")
    assert content_hash("one\u00a0\u3000story\u2028") == content_hash(" one story")
    assert content_hash("one story") != content_hash("another story")
    assert len(content_hash("x")) == 64
