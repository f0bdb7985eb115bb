"""The twin network: one shared encoder and a symmetric comparison of two embeddings."""

from models.twin.comparators import Comparator, ComparisonSpec, build_comparator
from models.twin.twin_network import TwinNetwork

__all__ = ["Comparator", "ComparisonSpec", "TwinNetwork", "build_comparator"]
