"""One growable float32 matrix of embeddings with their reference and subject ids."""

import uuid
from collections.abc import Callable

import numpy as np


class EmbeddingMatrix:
    """The references of one (gallery, modality, model name, model version).

    Appends are amortised O(1) (capacity doubles); removal moves the last row into the
    hole, so rows stay contiguous and a search is one pass over ``vectors``.
    """

    def __init__(self, dimension: int) -> None:
        self.dimension = dimension
        self._vectors = np.empty((0, dimension), dtype=np.float32)
        self._subject_codes = np.empty(0, dtype=np.int64)
        self._reference_ids: list[uuid.UUID] = []
        self._row_of: dict[uuid.UUID, int] = {}
        self._code_of: dict[uuid.UUID, int] = {}
        self._subjects: list[uuid.UUID] = []
        self._members: dict[int, list[uuid.UUID]] = {}  # reference ids per live subject code
        self._most_per_subject: int | None = 0
        self._spreads = np.empty(0)  # per subject code, NaN where not known
        self._unspread: set[int] = set()  # codes whose rows changed since their spread

    def __len__(self) -> int:
        return len(self._reference_ids)

    @property
    def vectors(self) -> np.ndarray:
        """``(N, D)`` view of the live rows (valid until the next change)."""
        return self._vectors[: len(self)]

    @property
    def subject_codes(self) -> np.ndarray:
        """``(N,)`` small integers naming each row's subject (see :meth:`subject`)."""
        return self._subject_codes[: len(self)]

    def subject(self, code: int) -> uuid.UUID:
        return self._subjects[code]

    @property
    def subject_count(self) -> int:
        """How many subject codes exist (codes of subjects with no rows left included)."""
        return len(self._subjects)

    def references_of(self, subject_id: uuid.UUID) -> tuple[list[uuid.UUID], np.ndarray]:
        """One subject's reference ids, oldest first, and their ``(k, D)`` vectors (a copy)."""
        code = self._code_of.get(subject_id)
        members = [] if code is None else list(self._members.get(code, []))
        rows = [self._row_of[reference] for reference in members]
        return members, self._vectors[rows]

    def subject_rows(self, code: int) -> list[int]:
        """The rows holding one subject's references."""
        return [self._row_of[reference] for reference in self._members.get(code, [])]

    def spreads(self, spread: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
        """``(subject_count,)`` view: each subject's spread, NaN for a code with no rows
        (valid until the next change).

        ``spread`` maps ``(S, k, D)`` (S subjects of k references each) to ``(S,)``; the
        subjects not cached yet are handed over in one batch per reference count. Cached
        per subject until its references change, so ``spread`` must be the same function
        for the life of this matrix (one model, one matrix)."""
        if self._spreads.size < self.subject_count:
            grown = np.full(max(self.subject_count, 2 * self._spreads.size, 64), np.nan)
            grown[: self._spreads.size] = self._spreads
            self._spreads = grown
        by_count: dict[int, list[int]] = {}
        for code in self._unspread:
            by_count.setdefault(len(self._members[code]), []).append(code)
        for codes in by_count.values():
            rows = np.array([self.subject_rows(code) for code in codes])
            self._spreads[codes] = spread(self._vectors[rows])
        self._unspread.clear()
        return self._spreads[: self.subject_count]

    def reference_id(self, row: int) -> uuid.UUID:
        return self._reference_ids[row]

    @property
    def most_references_per_subject(self) -> int:
        """An exact bound that lets a top-k search stop early (see ``ranking``)."""
        if self._most_per_subject is None:
            self._most_per_subject = max(map(len, self._members.values()), default=0)
        return self._most_per_subject

    def add(self, reference_id: uuid.UUID, subject_id: uuid.UUID, vector: np.ndarray) -> None:
        if reference_id in self._row_of:
            return  # already applied: replaying a revision is harmless
        row = len(self)
        self._reserve(row + 1)
        self._vectors[row] = vector
        code = self._code_of.get(subject_id)
        if code is None:
            code = self._code_of[subject_id] = len(self._subjects)
            self._subjects.append(subject_id)
        self._subject_codes[row] = code
        self._reference_ids.append(reference_id)
        self._row_of[reference_id] = row
        members = self._members.setdefault(code, [])
        members.append(reference_id)
        self._unspread.add(code)
        if self._most_per_subject is not None:
            self._most_per_subject = max(self._most_per_subject, len(members))

    def remove(self, reference_id: uuid.UUID) -> bool:
        row = self._row_of.pop(reference_id, None)
        if row is None:
            return False
        last = len(self) - 1
        code = int(self._subject_codes[row])
        if row != last:
            moved = self._reference_ids[last]
            self._vectors[row] = self._vectors[last]
            self._subject_codes[row] = self._subject_codes[last]
            self._reference_ids[row] = moved
            self._row_of[moved] = row
        self._reference_ids.pop()
        members = self._members[code]
        members.remove(reference_id)
        if members:
            self._unspread.add(code)
        else:
            del self._members[code]  # the code stays reserved; subjects are few
            self._unspread.discard(code)
            if code < self._spreads.size:
                self._spreads[code] = np.nan
        self._most_per_subject = None  # recomputed lazily
        return True

    def _reserve(self, rows: int) -> None:
        capacity = self._vectors.shape[0]
        if rows <= capacity:
            return
        grown = max(rows, 2 * capacity, 64)
        vectors = np.empty((grown, self.dimension), dtype=np.float32)
        vectors[:capacity] = self._vectors
        codes = np.empty(grown, dtype=np.int64)
        codes[:capacity] = self._subject_codes
        self._vectors, self._subject_codes = vectors, codes
