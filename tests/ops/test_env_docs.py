"""Every setting read from the environment is documented in .env.example and in README.md's configuration
table, and neither lists a name nothing reads, so the docs never rot."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

ENV_CALL = re.compile(r"""\benv_(?:str|bool|int|float|list)\(\s*["']([A-Z][A-Z0-9_]*)["']""")
OS_ENVIRON = re.compile(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z][A-Z0-9_]*)["']""")
# Names the process manager sets, not the operator.
NOT_SETTINGS = {"DJANGO_SETTINGS_MODULE"}


def names_read_by_settings() -> set[str]:
    names = set(ENV_CALL.findall((REPO / "newsreader" / "settings.py").read_text()))
    for module in (REPO / "newsreader").glob("*.py"):
        names |= set(OS_ENVIRON.findall(module.read_text()))
    return names - NOT_SETTINGS


def names_in_env_example() -> set[str]:
    text = (REPO / ".env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_it_finds_the_settings_it_checks():
    # Guards the scanner itself: a broken regex would make the next test pass vacuously.
    names = names_read_by_settings()
    assert {"SECRET_KEY", "DATABASE_URL", "FETCH_USER_AGENT", "CONTENT_SECURITY_POLICY"} <= names
    assert len(names) >= 40


def test_every_setting_is_in_env_example():
    missing = sorted(names_read_by_settings() - names_in_env_example())

    assert not missing, (
        f"add these to .env.example (with their default and a line saying what they do): {missing}"
    )


def test_env_example_documents_no_setting_that_does_not_exist():
    # Names used by docker-compose.yml and bin/stack rather than by settings.py.
    process_names = {
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_DB",
        "PORT",
        "WEB_CONCURRENCY",
        "FEEDS_CONCURRENCY",
        "EXTRACTION_CONCURRENCY",
        "DEFAULT_CONCURRENCY",
    }
    stale = sorted(names_in_env_example() - names_read_by_settings() - process_names)

    assert not stale, f".env.example lists names nothing reads: {stale}"


def names_in_readme_table() -> set[str]:
    """The first column of README.md's configuration table: rows like "| `NAME` | default | meaning |"."""
    return set(re.findall(r"^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|", (REPO / "README.md").read_text(), flags=re.M))


def test_readme_documents_only_settings_that_exist():
    # README's table is the lead engineer's; it must never list a name that .env.example does not know.
    readme = names_in_readme_table()

    assert len(readme) >= 20  # the table is found at all
    assert not sorted(readme - names_in_env_example())


def test_readme_documents_every_setting():
    assert not sorted(names_read_by_settings() - names_in_readme_table())
