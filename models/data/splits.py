"""Identity-disjoint splits: no identity ever has images on both sides."""

import random
from collections.abc import Sequence


def split_identities(
    identities: Sequence[str], validation_fraction: float, seed: int, fold: int = 0
) -> tuple[list[str], list[str]]:
    """Shuffle distinct identities with ``seed`` and hold out ``validation_fraction`` of them.

    ``fold`` picks which consecutive block of the shuffled identities is held out, so folds
    0 .. round(1 / validation_fraction) - 1 cross-validate over identities. Both sides get
    at least one identity. Returns ``(train, validation)`` name lists, sorted.
    """
    names = sorted(set(identities))
    if len(names) < 2:
        raise ValueError("an identity-disjoint split needs at least two identities")
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError("validation_fraction must be strictly between 0 and 1")
    shuffled = names.copy()
    random.Random(seed).shuffle(shuffled)
    count = min(len(names) - 1, max(1, round(validation_fraction * len(names))))
    start = fold * count
    if fold < 0 or start >= len(names):
        raise ValueError(f"fold {fold} is out of range for {len(names)} identities")
    held_out = shuffled[start : start + count]
    rest = shuffled[:start] + shuffled[start + count :]
    return sorted(rest), sorted(held_out)
