"""The benchmark: a publisher simulator, the library floor, peer readers and our own pipeline, measured in
one run on the same machine (`python -m bench`, `python -m bench --quick`). See docs/benchmarks.md."""
