"""Datasets, identity-disjoint splits, pair and class-balanced samplers, pairs files."""
