"""Curated knowledge for scripts/build_catalogue.py: hosts shared by many publishers, names and sites no feed
title gives, and the word lists behind the language guess. Data only; edit here, then rebuild the catalogue.
"""

# Hosts shared by unrelated publishers, where the first path segments name one (a show, a blog): how many.
PATH_HOSTS = {
    "feeds.feedburner.com": 1,
    "feeds2.feedburner.com": 1,
    "feedproxy.google.com": 1,
    "feeds.megaphone.fm": 1,
    "feeds.simplecast.com": 1,
    "rss.art19.com": 1,
    "rss.acast.com": 1,
    "feeds.acast.com": 3,
    "feeds.fireside.fm": 1,
    "feeds.soundcloud.com": 2,
    "feeds.buzzsprout.com": 1,
    "feeds.transistor.fm": 1,
    "feeds.captivate.fm": 1,
    "anchor.fm": 2,
    "feed.podbean.com": 1,
    "audioboom.com": 2,
    "www.spreaker.com": 2,
    "rss.whooshkaa.com": 4,
    "www.omnycontent.com": 4,
    "medium.com": 1,
    "feeds.feedblitz.com": 1,
}
# Registrable domains whose subdomains are different publishers.
HOST_DOMAINS = {
    "libsyn.com",
    "blogspot.com",
    "wordpress.com",
    "substack.com",
    "tumblr.com",
    "github.io",
    "medium.com",
    "podbean.com",
    "typepad.com",
    "ghost.io",
    "amazonaws.com",
    "indiatimes.com",  # Times of India, Economic Times, Navbharat Times
    "google.com",  # Google News, Google Developers
    "uol.com.br",  # UOL, Folha de S.Paulo
    "news18.com",  # News18, News18 Lokmat
}
SECOND_LEVEL = {
    "co",
    "com",
    "net",
    "org",
    "gov",
    "ac",
    "edu",
    "ne",
    "or",
    "go",
    "gob",
    "nic",
    "gen",
    "info",
    "biz",
}

# Curated where the rules above cannot know better: several keys for one publisher, and names or sites
# that no feed title gives.
KEY_ALIASES = {
    "feedburner:ndtvnews-top-stories": "domain:ndtv.com",
    "feedburner:ndtvnews-world-news": "domain:ndtv.com",
    "feedburner:ndtvsports-cricket": "domain:ndtv.com",
}
OVERRIDES: dict[str, dict[str, str]] = {
    "domain:bbci.co.uk": {"name": "BBC", "site_url": "https://www.bbc.co.uk/", "country": "United Kingdom"},
    "domain:theguardian.com": {"country": "United Kingdom"},
    "domain:ndtv.com": {"name": "NDTV", "site_url": "https://www.ndtv.com/"},
    "domain:nytimes.com": {"name": "The New York Times", "country": "United States"},
    "domain:cnn.com": {"name": "CNN", "site_url": "https://edition.cnn.com/", "country": "United States"},
    "domain:cnbc.com": {"name": "CNBC"},
    "domain:espn.com": {"name": "ESPN"},
    "domain:yahoo.com": {"name": "Yahoo"},
    "domain:apple.com": {"name": "Apple"},
    "domain:npr.org": {"name": "NPR"},
    "domain:twit.tv": {"name": "TWiT", "site_url": "https://twit.tv/"},
    "domain:relay.fm": {"name": "Relay FM"},
    "domain:sciam.com": {"name": "Scientific American", "site_url": "https://www.scientificamerican.com/"},
    "domain:inhabitat.com": {"name": "Inhabitat"},
    "domain:500px.com": {"name": "500px"},
    "domain:blog.google": {"name": "Google: The Keyword", "site_url": "https://blog.google/"},
    "domain:jetbrains.com": {"name": "JetBrains Blog", "site_url": "https://blog.jetbrains.com/"},
    "domain:thelocal.com": {"site_url": "https://www.thelocal.com/"},
    "domain:yesstyle.com": {"name": "YesStyle"},
    "domain:washingtonpost.com": {"name": "The Washington Post"},
    "domain:latimes.com": {"name": "Los Angeles Times"},
    "domain:huffpost.com": {"name": "HuffPost"},
    "domain:investing.com": {"name": "Investing.com"},
    "domain:saharareporters.com": {"name": "Sahara Reporters"},
    "domain:elconfidencial.com": {"name": "El Confidencial"},
    "domain:twitter.com": {"name": "Twitter Blog"},
    "domain:bhaskar.com": {"name": "Dainik Bhaskar"},
    "domain:divyabhaskar.co.in": {"name": "Divya Bhaskar"},
    "domain:mk.ru": {"name": "Московский комсомолец"},
    "domain:tasnimnews.com": {"name": "Tasnim News"},
    "domain:dj.com": {"name": "The Wall Street Journal", "site_url": "https://www.wsj.com/"},
    "domain:killeraces.com": {"site_url": "https://www.wisebread.com/"},
    "domain:tedcdn.com": {"name": "TED Talks Daily", "site_url": "https://www.ted.com/"},
    "host:rss.home.uol.com.br": {"site_url": "https://www.uol.com.br/"},
    "host:prod-qt-images.s3.amazonaws.com": {"name": "Swarajya", "site_url": "https://swarajyamag.com/"},
    "domain:img.com.ua": {"name": "Корреспондент.net", "site_url": "https://korrespondent.net/"},
    "domain:dailymail.co.uk": {"name": "Daily Mail"},
    "domain:business-standard.com": {"name": "Business Standard"},
    "domain:pia.gov.ph": {"name": "Philippine Information Agency"},
    "domain:pna.gov.ph": {"name": "Philippine News Agency"},
    "domain:si.edu": {"name": "National Museum of American History"},
    "domain:bleedingcool.com": {"name": "Bleeding Cool"},
    "domain:pitchfork.com": {"name": "Pitchfork"},
    "domain:uecdn.es": {"name": "Expansión", "site_url": "https://www.expansion.com/"},
    "domain:wpengine.com": {"name": "Architizer", "site_url": "https://architizer.com/"},
    "domain:politico.com": {"name": "Politico"},
    "domain:wired.com": {"name": "WIRED"},
    "domain:aaronsw.com": {"site_url": "http://www.paulgraham.com/"},
    "domain:engadget.com": {"name": "Engadget"},
    "domain:dw.com": {"language": "en"},  # rss-en-all: the English service
    "domain:jansatta.com": {"name": "Jansatta"},
    "feedburner:autonews": {"name": "Automotive News", "site_url": "https://www.autonews.com/"},
}
# Subdomains that serve feeds, not the site: feeds.bbci.co.uk is read at www.bbci.co.uk.
TECHNICAL_SUBDOMAINS = (
    "feeds",
    "feeds2",
    "feed",
    "rss",
    "rssfeeds",
    "api",
    "newsfeed",
    "data",
    "syndication",
    "xml",
)
CCTLD_COUNTRIES = {
    "au": "Australia",
    "bd": "Bangladesh",
    "br": "Brazil",
    "ca": "Canada",
    "fr": "France",
    "de": "Germany",
    "hk": "Hong Kong SAR China",
    "in": "India",
    "id": "Indonesia",
    "ir": "Iran",
    "ie": "Ireland",
    "it": "Italy",
    "jp": "Japan",
    "mx": "Mexico",
    "mm": "Myanmar (Burma)",
    "ng": "Nigeria",
    "pk": "Pakistan",
    "ph": "Philippines",
    "pl": "Poland",
    "ru": "Russia",
    "za": "South Africa",
    "es": "Spain",
    "ua": "Ukraine",
    "uk": "United Kingdom",
    "us": "United States",
}


# Titles made only of these words name a section ("World News", "All Content"), not the publisher.
GENERIC_WORDS = set(
    "all and articles beauty blog breaking content english fashion feed general headlines home index latest main "
    "movies nation national news page posts rss section shows sport sports stories the top tennis tv uk updates "
    "us world".split()
)


# Language of the country lists, for Latin-script sources: a guess to be confirmed by common words.
COUNTRY_LANGUAGES = {
    "Australia": "en",
    "Bangladesh": "bn",
    "Brazil": "pt",
    "Canada": "en",
    "France": "fr",
    "Germany": "de",
    "Hong Kong SAR China": "zh",
    "India": "en",
    "Indonesia": "id",
    "Iran": "fa",
    "Ireland": "en",
    "Italy": "it",
    "Japan": "ja",
    "Mexico": "es",
    "Myanmar (Burma)": "my",
    "Nigeria": "en",
    "Pakistan": "en",
    "Philippines": "en",
    "Poland": "pl",
    "Russia": "ru",
    "South Africa": "en",
    "Spain": "es",
    "Ukraine": "uk",
    "United Kingdom": "en",
    "United States": "en",
}
LATIN_LANGUAGES = {"en", "fr", "de", "id", "it", "es", "pl", "pt"}
STOPWORDS = {
    "en": "the and of to in for news latest with from on is your our world daily breaking top stories about by all an at this",
    "fr": "le la les des et du une un est actualités actualité actualite info infos dans sur pour au aux l d",
    "es": "el la los las de del y en noticias última últimas por con para una un más",
    "pt": "o a os as de do da dos das e em notícias últimas para com uma um mais não",
    "it": "il lo la gli le di del della e in notizie ultime per con una un più",
    "de": "der die das und nachrichten aktuelle mit für von den dem ist ein eine im auf",
    "pl": "i w z na się do nie wiadomości najnowsze jest od po oraz",
    "id": "dan yang di berita terkini dari untuk dengan ini itu ke terbaru",
}
SCRIPT_LANGUAGES = {
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "HANGUL": "ko",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "GUJARATI": "gu",
    "GURMUKHI": "pa",
    "TAMIL": "ta",
    "TELUGU": "te",
    "KANNADA": "kn",
    "MALAYALAM": "ml",
    "MYANMAR": "my",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
}
