"""``twinverify enroll-folder``: bulk enrolment from a folder, through the service's own
enrolment (same checks, audit trail, models and batcher) on the configured database."""

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from tqdm import tqdm

from app.core.config import Settings, get_settings
from app.core.metrics import ServiceMetrics
from app.db import migrate
from app.db.engine import make_engine, session_factory, transaction
from app.db.models import Gallery
from app.repository.galleries import find_gallery_by_name
from app.search.gallery_index import SearchIndex
from app.services.folder_enrollment import SubjectOutcome, enroll_folder, subject_folders
from app.services.galleries import bootstrap_default_gallery
from app.services.runtime import open_runtime
from models.errors import ConfigError


def add_enroll_folder_command(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    parser = subcommands.add_parser(
        "enroll-folder",
        help="enrol one subject per sub-folder of ROOT (its name is the external id); "
        "resumable: images already enrolled are skipped",
    )
    parser.add_argument("root", type=Path, help="ROOT/<external id>/<images>")
    parser.add_argument("--gallery", required=True, help="the gallery's name")
    parser.add_argument("--modality", choices=["signature", "face"], default="signature")
    parser.add_argument(
        "--workers", type=int, default=4, help="subjects prepared at once (they share batches)"
    )
    parser.add_argument("--no-progress", action="store_true")
    parser.set_defaults(handler=_enroll_folder)


def open_gallery(
    settings: Settings, name: str
) -> tuple[Engine, sessionmaker[Session], Gallery | None]:
    """The configured database, migrated, and the gallery of this name if there is one (a
    fresh database gets its 'default' gallery, as the service's first start gives it)."""
    url = settings.resolved_database_url
    engine = make_engine(url)
    migrate.upgrade(url)
    sessions = session_factory(engine)
    bootstrap_default_gallery(sessions, settings.data_dir)
    with transaction(sessions) as session:
        gallery = find_gallery_by_name(session, name)
    return engine, sessions, gallery


def _enroll_folder(args: argparse.Namespace) -> int:
    if not args.root.is_dir():
        raise ConfigError(f"{args.root} is not a folder")
    folders = subject_folders(args.root)
    if not folders:
        raise ConfigError(f"{args.root} has no sub-folder holding images")
    settings = get_settings()
    engine, sessions, gallery = open_gallery(settings, args.gallery)
    if gallery is None:
        raise ConfigError(
            f"no gallery named {args.gallery!r} "
            "(an administrator creates one with POST /v1/admin/galleries)"
        )
    executor = ThreadPoolExecutor(settings.inference_threads, thread_name_prefix="inference")
    runtime = open_runtime(settings, sessions, SearchIndex(), executor, ServiceMetrics())
    images = sum(len(folder.images) for folder in folders)
    bar = tqdm(total=images, unit="image", disable=args.no_progress)

    def advance(outcome: SubjectOutcome) -> None:
        bar.update(outcome.enrolled + sum(outcome.rejected.values()))

    started = time.perf_counter()
    try:
        report = enroll_folder(
            runtime.service(args.modality),
            runtime.store,
            gallery.id,
            folders,
            args.workers,
            on_subject=advance,
        )
    finally:
        bar.close()
        runtime.close()
        executor.shutdown()
        engine.dispose()
    seconds = time.perf_counter() - started
    print(
        f"{report.subjects} subjects ({report.subjects_created} new): "
        f"{report.images_enrolled} images enrolled, {report.images_already_enrolled} already "
        f"enrolled, {sum(report.images_rejected.values())} rejected in {seconds:.1f} s "
        f"({report.images_enrolled / seconds:.1f} images/s)"
    )
    for reason, count in report.images_rejected.most_common():
        print(f"  rejected {count:6d} x {reason}")
    if report.subjects_without_references:
        print(
            f"  {len(report.subjects_without_references)} subjects have no reference: "
            + ", ".join(report.subjects_without_references[:10])
        )
    return 0
