"""What the services keep and read: SQL (every gallery's subjects, references and audit
trail) and the in-memory search matrices kept consistent with it by revision."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from app.core.metrics import ServiceMetrics
from app.db.engine import transaction
from app.search.gallery_index import SearchIndex


@dataclass(frozen=True)
class GalleryStore:
    sessions: sessionmaker[Session]
    index: SearchIndex
    metrics: ServiceMetrics

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together or not at all."""
        with transaction(self.sessions) as session:
            yield session
