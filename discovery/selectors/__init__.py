"""Read-only queries of discovery. Import from here: `from discovery.selectors import article_search`."""

from discovery.selectors.clusters import (
    ClusterInfo,
    RelatedStory,
    cluster_info_for_articles,
    not_a_syndicated_copy_of_followed,
    related_for_article,
    syndicated_copy_of_followed_exists,
    visible_article_q,
)
from discovery.selectors.for_you import ForYouStory, for_you_for_user
from discovery.selectors.picks import PickCard, picks_for_home
from discovery.selectors.search import SEARCH_CANDIDATES, SearchHit, SearchPage, article_search
from discovery.selectors.top import (
    TopStories,
    TopStory,
    top_stories,
    top_stories_compute,
    top_stories_invalidate,
)

__all__ = [
    "SEARCH_CANDIDATES",
    "ClusterInfo",
    "ForYouStory",
    "PickCard",
    "RelatedStory",
    "SearchHit",
    "SearchPage",
    "TopStories",
    "TopStory",
    "article_search",
    "cluster_info_for_articles",
    "for_you_for_user",
    "not_a_syndicated_copy_of_followed",
    "picks_for_home",
    "related_for_article",
    "syndicated_copy_of_followed_exists",
    "top_stories",
    "top_stories_compute",
    "top_stories_invalidate",
    "visible_article_q",
]
