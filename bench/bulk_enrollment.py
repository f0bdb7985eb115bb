"""Bulk enrolment (``twinverify enroll-folder``'s path) next to the raw encoder, one run.

Enrols CEDAR's genuine signatures of the first ``--writers`` writers (one subject per
writer) into a fresh SQLite gallery with the shipped signature model, through the same
code the command runs (every image decoded, checked, embedded through the batcher, stored
with its audit record), and prints images/s. The raw figure is the same images through
the same model in this process: prepared in a pool as wide as the service's and embedded
through a micro-batcher with the service's settings, nothing stored.

    python -m bench.bulk_enrollment [--writers 20] [--workers 4]
"""

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch

from app.core.config import Settings
from app.core.metrics import ServiceMetrics
from app.folder_cli import open_gallery
from app.search.gallery_index import SearchIndex
from app.services.folder_enrollment import SubjectFolder, enroll_folder
from app.services.runtime import image_limits, open_runtime
from models.hardware import select_device
from models.serving import load_served_model
from models.serving.batcher import MicroBatcher

CEDAR = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "cedar"


def writer_folders(writers: int) -> list[SubjectFolder]:
    folders = []
    for writer in sorted(p for p in CEDAR.iterdir() if p.is_dir())[:writers]:
        images = tuple(sorted(p for p in writer.glob("*.png") if "forger" not in p.name))
        folders.append(SubjectFolder(writer.name, images))
    return folders


def raw_rate(settings: Settings, folders: list[SubjectFolder], workers: int) -> float:
    assert settings.signature_checkpoint is not None
    model = load_served_model(settings.signature_checkpoint, select_device(settings.device))
    limits = image_limits(settings)
    pool = ThreadPoolExecutor(settings.inference_threads)
    batcher = MicroBatcher(model.embed, settings.batch_max_size, settings.batch_max_wait_ms)

    def subject(folder: SubjectFolder) -> int:
        datas = [path.read_bytes() for path in folder.images]
        inputs = pool.submit(lambda: [model.prepare(d, limits).tensor for d in datas]).result()
        batcher.embed(torch.stack(inputs))
        return len(inputs)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as callers:
        images = sum(callers.map(subject, folders))
    rate = images / (time.perf_counter() - started)
    batcher.close()
    pool.shutdown()
    return rate


def bulk_rate(settings: Settings, folders: list[SubjectFolder], workers: int) -> float:
    engine, sessions, gallery = open_gallery(settings, "default")
    assert gallery is not None
    executor = ThreadPoolExecutor(settings.inference_threads)
    runtime = open_runtime(settings, sessions, SearchIndex(), executor, ServiceMetrics())
    started = time.perf_counter()
    service = runtime.service("signature")
    report = enroll_folder(service, runtime.store, gallery.id, folders, workers)
    rate = report.images_enrolled / (time.perf_counter() - started)
    runtime.close()
    executor.shutdown()
    engine.dispose()
    print(
        f"enrolled {report.images_enrolled} images of {report.subjects} subjects, "
        f"{sum(report.images_rejected.values())} rejected"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    folders = writer_folders(args.writers)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), face_checkpoint=None)
        raw = raw_rate(settings, folders, args.workers)
        bulk = bulk_rate(settings, folders, args.workers)
    print(f"CPU {torch.backends.cpu.get_cpu_capability()}, torch threads {torch.get_num_threads()}")
    print(f"raw encoder (prepare + batched embed): {raw:6.1f} images/s")
    print(f"bulk enrolment (enroll-folder path):   {bulk:6.1f} images/s = {bulk / raw:.2f} x raw")


if __name__ == "__main__":
    main()
