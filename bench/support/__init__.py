"""Shared pieces of the HTTP benchmarks (not benchmarks themselves: `make bench` runs only
bench/*.py). A bench-only settings module adds a bare DRF endpoint, the floor the API is
compared with; it is never part of the production URLs."""
