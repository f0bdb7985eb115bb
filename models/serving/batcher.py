"""Dynamic micro-batching: concurrent requests' inputs share one forward pass.

One batcher per served model owns a worker thread. Callers hand it their prepared inputs
and wait; the worker takes every input already waiting, waits up to ``max_wait_ms`` for
more while the batch is under ``max_batch``, runs one forward pass and hands each caller
its own rows. Under load the queue fills while a batch runs, so batches grow by
themselves; a lone request waits at most ``max_wait_ms``.

A network's per-image result does not depend on its batch neighbours (eval mode: batch
norm uses its running statistics), so batching changes speed, never scores.
"""

import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

import torch

logger = logging.getLogger(__name__)

Embed = Callable[[torch.Tensor], torch.Tensor]


@dataclass
class _Job:
    inputs: torch.Tensor
    future: "Future[torch.Tensor]" = field(default_factory=Future)


@dataclass
class BatchStats:
    """What the worker has done (read by metrics and tests)."""

    batches: int = 0
    images: int = 0
    largest: int = 0


class MicroBatcher:
    def __init__(
        self, embed: Embed, max_batch: int = 32, max_wait_ms: float = 1.0, name: str = "model"
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._embed = embed
        self.max_batch = max_batch
        self.max_wait = max(0.0, max_wait_ms) / 1000.0
        self.stats = BatchStats()
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._closed = threading.Event()
        self._worker = threading.Thread(target=self._run, name=f"batcher-{name}", daemon=True)
        self._worker.start()

    def embed(self, inputs: torch.Tensor) -> torch.Tensor:
        """``(n, ...) -> (n, D)``: this caller's rows of the batch its inputs ran in."""
        return self.submit(inputs).result()

    def submit(self, inputs: torch.Tensor) -> "Future[torch.Tensor]":
        if self._closed.is_set():
            raise RuntimeError("the batcher is closed")
        job = _Job(inputs)
        if inputs.shape[0] == 0:
            job.future.set_result(self._embed(inputs))
            return job.future
        self._jobs.put(job)
        return job.future

    def close(self) -> None:
        """Stop after the jobs already queued; later submits raise."""
        self._closed.set()
        self._jobs.put(None)
        self._worker.join(timeout=30)

    def _run(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            jobs, stop = self._collect(first)
            self._run_batch(jobs)
            if stop:
                return

    def _collect(self, first: _Job) -> tuple[list[_Job], bool]:
        """``first`` and whatever joins it before the batch is full or the wait is over;
        whether a close request was met."""
        jobs, count = [first], first.inputs.shape[0]
        deadline = time.monotonic() + self.max_wait
        while count < self.max_batch:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                try:
                    job = self._jobs.get(timeout=remaining)
                except queue.Empty:
                    break
            if job is None:
                return jobs, True
            jobs.append(job)
            count += job.inputs.shape[0]
        return jobs, False

    def _run_batch(self, jobs: list[_Job]) -> None:
        sizes = [job.inputs.shape[0] for job in jobs]
        try:
            batch = jobs[0].inputs if len(jobs) == 1 else torch.cat([j.inputs for j in jobs])
            rows = self._embed(batch)
        except Exception as exc:  # every caller of the batch gets the error, the worker lives
            logger.exception("a batch of %d inputs failed", sum(sizes))
            for job in jobs:
                job.future.set_exception(exc)
            return
        self._count(sum(sizes))
        start = 0
        for job, size in zip(jobs, sizes, strict=True):
            job.future.set_result(rows[start : start + size])
            start += size

    def _count(self, size: int) -> None:
        stats = self.stats
        stats.batches += 1
        stats.images += size
        stats.largest = max(stats.largest, size)
