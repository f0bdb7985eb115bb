"""The process's search matrices, one set per gallery, caught up with SQL before each use."""

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import transaction
from app.search import sync
from app.search.matrix import EmbeddingMatrix
from models.serving import ModelIdentity


@dataclass
class GalleryIndex:
    """A gallery's matrices as of ``revision``; use only while holding ``lock``."""

    revision: int = 0
    matrices: dict[ModelIdentity, EmbeddingMatrix] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def matrix(self, key: ModelIdentity) -> EmbeddingMatrix | None:
        return self.matrices.get(key)

    def stale_references(self, key: ModelIdentity, subject_id: uuid.UUID | None = None) -> int:
        """References of the same modality made by another model name or version (of one
        subject, if given)."""
        return sum(
            len(matrix) if subject_id is None else len(matrix.references_of(subject_id)[0])
            for other, matrix in self.matrices.items()
            if other.modality == key.modality and other != key
        )


class SearchIndex:
    """Every gallery this process has searched, kept exactly in step with the database.

    Before each use the gallery's revision is read; if another transaction (in this process
    or any other sharing the database) has committed since, only the rows added and removed
    in between are applied. Revisions commit in order (see ``Gallery.revision``), so after
    catching up the matrices equal the table at that revision.
    """

    def __init__(self) -> None:
        self._galleries: dict[uuid.UUID, GalleryIndex] = {}
        self._lock = threading.Lock()

    @contextmanager
    def synced(
        self, sessions: sessionmaker[Session], gallery_id: uuid.UUID
    ) -> Iterator[GalleryIndex]:
        with transaction(sessions) as session, self.synced_in(session, gallery_id) as gallery:
            yield gallery

    @contextmanager
    def synced_in(self, session: Session, gallery_id: uuid.UUID) -> Iterator[GalleryIndex]:
        """As ``synced``, reading the revision in the caller's transaction (one trip to the
        database for a request that reads other rows too)."""
        gallery = self._gallery(gallery_id)
        with gallery.lock:
            catch_up(session, gallery_id, gallery)
            yield gallery

    def load_all(self, sessions: sessionmaker[Session]) -> int:
        """Load every gallery (at start-up, so the first search is not the slow one)."""
        with transaction(sessions) as session:
            gallery_ids = sync.gallery_ids(session)
        for gallery_id in gallery_ids:
            with self.synced(sessions, gallery_id):
                pass
        return len(gallery_ids)

    def sizes(self) -> dict[tuple[uuid.UUID, ModelIdentity], int]:
        """Rows per gallery and model, as of each gallery's last catch-up (for metrics)."""
        with self._lock:
            galleries = list(self._galleries.items())
        return {
            (gallery_id, key): len(matrix)
            for gallery_id, gallery in galleries
            for key, matrix in list(gallery.matrices.items())
        }

    def _gallery(self, gallery_id: uuid.UUID) -> GalleryIndex:
        with self._lock:
            gallery = self._galleries.get(gallery_id)
            if gallery is None:
                gallery = self._galleries[gallery_id] = GalleryIndex()
            return gallery


def catch_up(session: Session, gallery_id: uuid.UUID, gallery: GalleryIndex) -> None:
    """Apply the references added and removed after ``gallery.revision`` (lock held)."""
    current = sync.current_revision(session, gallery_id)
    if current is None:  # the gallery is gone
        gallery.matrices.clear()
        return
    if current <= gallery.revision:
        return
    for row in sync.added_between(session, gallery_id, gallery.revision, current):
        key = ModelIdentity(row.modality, row.model_name, row.model_version)
        matrix = gallery.matrices.get(key)
        if matrix is None:
            matrix = gallery.matrices[key] = EmbeddingMatrix(row.dimension)
        matrix.add(row.reference_id, row.subject_id, row.vector)
    for reference_id in sync.removed_between(session, gallery_id, gallery.revision, current):
        for matrix in gallery.matrices.values():
            if matrix.remove(reference_id):
                break
    gallery.revision = current
