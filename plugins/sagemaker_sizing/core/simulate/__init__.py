"""Dry runs: the walk against a capacity model, or its worst case."""
