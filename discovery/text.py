"""Text features for story clustering. Pure: strings in, token sets and signatures out. No ORM.

Two features per article:
- `event_tokens`: the words of the title and of the lead (the first `LEAD_WORDS` words of the text),
  lowercased, without stop words, with a naive plural strip; title words are added a second time with a
  `t:` tag, which weighs them double in a Jaccard similarity (a headline names the event).
  Two stories about one event share their names, places and numbers; their Jaccard similarity is small
  in absolute terms (0.1 to 0.4 on the evaluation set), while unrelated stories score ~0.01.
- `text_signature`: a MinHash (datasketch) of 5-word shingles of the first `SHINGLE_WORDS` words: a
  syndicated copy of a wire story keeps most shingles (estimated Jaccard > 0.5), a rewrite keeps few.

Tokens are hashed to signed 63-bit integers so they fit a BIGINT column on every database.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

# numpy and datasketch (which brings scipy, ~80 MB) are imported where a signature is made or compared:
# importing this module for its words and stop words (the template tags do, and every Celery worker
# runs Django's checks, which load them) must not put them in every process, extraction's included.

LEAD_WORDS = 100
SHINGLE_WORDS = 400
SHINGLE_SIZE = 5
TEXT_PERMUTATIONS = 64
MAX_INPUT_CHARS = 20_000  # the lead and the shingles never need more; hostile texts can be huge

_WORD = re.compile(r"[^\W_]+", re.UNICODE)

# English plus the commonest function words of the other languages in the catalogue. News-specific
# filler (said, told, week days, months, counting words) goes too: every story has it.
STOP_WORDS = frozenset(
    """
    a about above after again against ago all almost along also although always am among an and another
    any anyone anything are aren around as at away back be became because become becomes been before
    being below between both but by came can cannot could couldn did didn do does doesn doing don done
    down during each either else enough even ever every few for from further get gets getting give given
    go goes going gone got had hadn has hasn have haven having he her here hers herself him himself his
    how however i if in into is isn it its itself just keep know last least less let like likely made
    make makes many may me might more most much must my myself near need never new next no nor not now
    of off often on once one only or other others our ours ourselves out over own part per perhaps put
    rather really s said same say says see seem seemed seems several she should shouldn show since so
    some something still such t take than that the their theirs them themselves then there these they
    thing things think this those though three through thus to today told too took toward two under
    until up upon us use used using very via want was wasn way we well went were weren what whatever
    when where whether which while who whom whose why will with within without won would wouldn yet you
    your yours yourself yourselves year years time times people according reported report reports week
    weeks day days monday tuesday wednesday thursday friday saturday sunday january february march
    april june july august september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec mr mrs ms dr first second third four five six seven eight nine ten hundred thousand
    million billion percent including news
    der die das und ist nicht ein eine einer eines dem den des mit von zu auf für im sich auch als wie
    le la les et est un une des du au aux en pour par pas que qui dans sur avec ce cette il elle sont
    el los las y es en por con para una del al lo se que su sus como más pero
    il lo gli di da che non per con una sono della delle dei nel nella
    o os as e é um uma do da dos das no na nos nas em por com para não mais
    de het een en van op te dat zijn voor met niet
    """.split()
)


@dataclass(frozen=True)
class ArticleFeatures:
    """What clustering needs of one article: its event tokens (hashed) and its text MinHash."""

    tokens: frozenset[int]
    text_signature: np.ndarray  # uint64, TEXT_PERMUTATIONS values; empty when the text is too short

    @property
    def is_empty(self) -> bool:
        return not self.tokens


def normalise(text: str) -> str:
    """NFKC, lowercase, typographic quotes and dashes made plain: copies differ in these only."""
    text = unicodedata.normalize("NFKC", text[:MAX_INPUT_CHARS])
    return text.lower().replace("\u2019", "'").replace("\u2018", "'")


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def _stem(word: str) -> str:
    # The cheapest stemmer that matters for headlines: "plumes"/"plume", "cases"/"case".
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stop words, no single characters, plural 's' stripped."""
    return [_stem(w) for w in words(text) if len(w) > 1 and w not in STOP_WORDS]


def token_hash(token: str) -> int:
    """A stable signed 63-bit hash (fits BIGINT everywhere; Python's hash() changes per process)."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "big") >> 1


def event_token_strings(*, title: str, text: str) -> set[str]:
    title_words = content_words(title)
    lead_words = content_words(text)[:LEAD_WORDS]
    return set(title_words) | set(lead_words) | {f"t:{w}" for w in title_words}


def shingles(text: str) -> set[str]:
    ws = words(text)[:SHINGLE_WORDS]
    if len(ws) < SHINGLE_SIZE:
        return set()
    return {" ".join(ws[i : i + SHINGLE_SIZE]) for i in range(len(ws) - SHINGLE_SIZE + 1)}


def text_minhash(text: str) -> np.ndarray:
    import numpy as np
    from datasketch import MinHash

    found = shingles(text)
    if not found:
        return np.zeros(0, dtype=np.uint64)
    sketch = MinHash(num_perm=TEXT_PERMUTATIONS, seed=20191118)
    sketch.update_batch([s.encode("utf-8") for s in found])
    return sketch.hashvalues.astype(np.uint64)


def article_features(*, title: str, text: str) -> ArticleFeatures:
    """Features of one article from its title and plain text (the lead comes first in `text`)."""
    tokens = frozenset(token_hash(t) for t in event_token_strings(title=title or "", text=text or ""))
    return ArticleFeatures(tokens=tokens, text_signature=text_minhash(text or ""))


def jaccard(a: frozenset[int] | set[int], b: frozenset[int] | set[int]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def jaccard_from_counts(*, shared: int, size_a: int, size_b: int) -> float:
    """Jaccard similarity from the size of the intersection (counted in SQL) and of both sets."""
    union = size_a + size_b - shared
    return shared / union if union > 0 and shared > 0 else 0.0


def signature_bytes(signature: np.ndarray) -> bytes:
    return signature.astype("<u8").tobytes()


def signature_from_bytes(data: bytes | memoryview | None) -> np.ndarray:
    import numpy as np

    if not data:
        return np.zeros(0, dtype=np.uint64)
    raw = bytes(data)
    if len(raw) % 8:
        return np.zeros(0, dtype=np.uint64)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


def text_similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity of two texts' shingle sets from their MinHash signatures."""
    import numpy as np

    if a.size == 0 or a.size != b.size:
        return 0.0
    return float(np.count_nonzero(a == b)) / a.size
