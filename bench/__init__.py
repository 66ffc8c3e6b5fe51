"""Benchmarks for `make bench`: a synthetic course of N modules, built every way we compare.

Nothing here runs in `make test`: speed is measured, never asserted.
"""
