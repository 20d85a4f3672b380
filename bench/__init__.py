"""Benchmarks and their dataset generators (not tests): see bench/README.md."""
