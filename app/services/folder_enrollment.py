"""Bulk enrolment from a folder: one subject per sub-folder, its name the external id.

Each subject is one ordinary enroll (the same checks, the same transaction, the same audit
record), so a run is idempotent and resumable: an image already enrolled for its subject
(same SHA-256) is skipped as a duplicate, so running again after an interruption enrols
exactly what is missing. Several subjects are prepared at once so their images share the
model's forward passes (the micro-batcher).
"""

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from app.core.errors import NoImageAcceptedError, ServiceError
from app.services.enrollment import EnrollResult, SubjectUploads, Upload, enroll_many
from app.services.gallery_store import GalleryStore
from app.services.model_service import ModelService

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp"})
DUPLICATE = "duplicate-image"


@dataclass(frozen=True)
class SubjectFolder:
    external_id: str
    images: tuple[Path, ...]


@dataclass(frozen=True)
class SubjectOutcome:
    external_id: str
    created: bool
    enrolled: int
    # reason -> images; ``duplicate-image`` counts those enrolled by an earlier run
    rejected: dict[str, int]


@dataclass
class FolderReport:
    subjects: int = 0
    subjects_created: int = 0
    images_enrolled: int = 0
    images_already_enrolled: int = 0
    images_rejected: Counter[str] = field(default_factory=Counter)
    subjects_without_references: list[str] = field(default_factory=list)

    def add(self, outcome: SubjectOutcome) -> None:
        self.subjects += 1
        self.subjects_created += outcome.created
        self.images_enrolled += outcome.enrolled
        for reason, count in outcome.rejected.items():
            if reason == DUPLICATE:
                self.images_already_enrolled += count
            else:
                self.images_rejected[reason] += count
        if outcome.enrolled == 0 and not outcome.rejected.get(DUPLICATE):
            self.subjects_without_references.append(outcome.external_id)


def subject_folders(root: Path) -> list[SubjectFolder]:
    """Every sub-folder of ``root`` holding at least one image file, sorted by name."""
    folders = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        images = tuple(
            sorted(
                p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
        )
        if images:
            folders.append(SubjectFolder(folder.name, images))
    return folders


def enroll_folder(
    service: ModelService,
    store: GalleryStore,
    gallery_id: uuid.UUID,
    folders: list[SubjectFolder],
    workers: int = 4,
    on_subject: Callable[[SubjectOutcome], None] | None = None,
) -> FolderReport:
    """Enrol every folder's images into its subject (created when new), ``workers``
    subjects at a time; ``on_subject`` hears of each as it finishes (progress)."""
    report = FolderReport()
    subjects = [SubjectUploads(folder.external_id, _reader(folder)) for folder in folders]
    for external_id, result in enroll_many(
        service, store, gallery_id, None, subjects, create=True, at_once=workers
    ):
        outcome = _outcome(external_id, result)
        report.add(outcome)
        if on_subject is not None:
            on_subject(outcome)
    return report


def _reader(folder: SubjectFolder) -> Callable[[], list[Upload]]:
    return lambda: [Upload(path.name, path.read_bytes()) for path in folder.images]


def _outcome(external_id: str, result: EnrollResult | ServiceError) -> SubjectOutcome:
    if isinstance(result, NoImageAcceptedError):
        reasons = Counter(str(entry["reason"]) for entry in result.extensions["images"])
        return SubjectOutcome(external_id, False, 0, dict(reasons))
    if isinstance(result, ServiceError):
        raise result  # not an image's fault (the subject vanished meanwhile): stop the run
    rejected = Counter(outcome.reason for outcome in result.images if outcome.reason)
    return SubjectOutcome(
        external_id,
        result.subject_created,
        sum(outcome.accepted for outcome in result.images),
        {str(reason): count for reason, count in rejected.items()},
    )
