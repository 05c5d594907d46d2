"""Which databases a benchmark run owns: `--drop` and a new template remove only those."""

from bench.harness import is_own_database


def test_a_run_owns_its_template_and_its_parts_databases():
    for name in [
        "nr_bench_tpl_1b853c936581",
        "nr_bench_tpl_1b853c936581_building",
        "nr_bench_refresh_full",
        "nr_bench_refresh_quick",
        "nr_bench_pages_full",
        "nr_bench_pages_quick",
    ]:
        assert is_own_database(name, "nr_bench"), name


def test_a_run_leaves_alone_the_databases_of_a_run_with_a_longer_prefix_and_everything_else():
    for name in [
        "nr_bench_river_pages_full",  # BENCH_DB_PREFIX=nr_bench_river, kept apart on purpose
        "nr_bench_river_tpl_1b853c936581",
        "nr_benchXpages_full",  # LIKE's "_" would have matched
        "nr_bench_pages_full_copy",
        "nr_bench_pages_full2",
        "newsreader",
        "nr_bench",
    ]:
        assert not is_own_database(name, "nr_bench"), name
    assert is_own_database("nr_bench_river_pages_full", "nr_bench_river")
