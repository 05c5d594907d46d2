import pytest

from articles.extraction import extract_article
from articles.extraction.scoring import corpus_pages, shared_dir


@pytest.fixture(scope="session")
def corpus():
    """The public article corpus (shared folder beside the repo), as CorpusPage rows."""
    folder = shared_dir() / "corpus" / "articles"
    assert (folder / "expected.jsonl").is_file(), f"the shared corpus is missing: {folder}"
    return list(corpus_pages(folder))


@pytest.fixture(scope="session")
def extracted_corpus(corpus):
    """Every corpus page through extract_article once (a few seconds), shared by the tests that read it."""
    return [(page, extract_article(page.read_bytes(), url=page.url)) for page in corpus]
