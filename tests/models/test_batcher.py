"""The micro-batcher: concurrent callers share forward passes and each gets its own rows."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

from models.bundled import SIGNATURE_CHECKPOINT
from models.serving import load_served_model
from models.serving.batcher import MicroBatcher


def _inputs(count: int, shape: tuple[int, ...]) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(7)
    return [
        torch.randint(0, 256, (1, *shape), generator=generator, dtype=torch.uint8)
        for _ in range(count)
    ]


def test_batched_embeddings_equal_unbatched_ones_and_each_caller_gets_its_own_rows() -> None:
    model = load_served_model(SIGNATURE_CHECKPOINT, torch.device("cpu"), compute="fp32")
    spec = model.metadata.preprocessing
    inputs = _inputs(24, (1, spec.height, spec.width))
    alone = [model.embed(one) for one in inputs]
    batcher = MicroBatcher(model.embed, max_batch=32, max_wait_ms=50)
    start = threading.Barrier(len(inputs))

    def call(one: torch.Tensor) -> torch.Tensor:
        start.wait()
        return batcher.embed(one)

    with ThreadPoolExecutor(len(inputs)) as pool:
        together = list(pool.map(call, inputs))
    batcher.close()
    assert batcher.stats.images == len(inputs)
    assert batcher.stats.batches < len(inputs), "concurrent callers never shared a pass"
    for mine, reference in zip(together, alone, strict=True):
        assert mine.shape == reference.shape == (1, model.metadata.embedding_size)
        torch.testing.assert_close(mine, reference, rtol=0, atol=1e-5)
    # distinct inputs, distinct rows: a caller handed a neighbour's row would fail above,
    # unless two neighbours' rows were equal, which they are not
    assert len({tuple(row[0].tolist()) for row in together}) == len(inputs)


class _GatedEmbed:
    """Counts passes; the first pass says it started, then waits until the test has queued
    every other input, so the batching is decided by the queue, not by thread timing."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.queued = threading.Event()
        self.sizes: list[int] = []

    def __call__(self, batch: torch.Tensor) -> torch.Tensor:
        if not self.sizes:
            self.started.set()
            self.queued.wait(timeout=30)
        self.sizes.append(batch.shape[0])
        return batch.float().flatten(1) * 2


def test_inputs_queued_while_a_pass_runs_form_the_next_batches_up_to_max_batch() -> None:
    embed = _GatedEmbed()
    batcher = MicroBatcher(embed, max_batch=8, max_wait_ms=0)
    first = batcher.submit(torch.full((1, 1, 2), 0, dtype=torch.uint8))
    assert embed.started.wait(timeout=30)
    others = [batcher.submit(torch.full((1, 1, 2), n, dtype=torch.uint8)) for n in range(1, 20)]
    embed.queued.set()
    rows = [first.result(timeout=30), *(future.result(timeout=30) for future in others)]
    batcher.close()
    # the first pass ran alone (nothing else was queued when it started); the 19 queued
    # behind it ran 8, 8 and 3 at a time, each caller getting its own row back
    assert embed.sizes == [1, 8, 8, 3]
    assert batcher.stats.batches == 4
    assert batcher.stats.largest == 8
    assert [row.tolist() for row in rows] == [[[2.0 * n, 2.0 * n]] for n in range(20)]


def test_a_failing_pass_fails_its_callers_and_the_batcher_keeps_serving() -> None:
    calls = [0]

    def embed(batch: torch.Tensor) -> torch.Tensor:
        calls[0] += 1
        if calls[0] == 1:
            raise RuntimeError("out of memory")
        return batch.float()

    batcher = MicroBatcher(embed, max_batch=4, max_wait_ms=0)
    with pytest.raises(RuntimeError, match="out of memory"):
        batcher.embed(torch.zeros(1, 3))
    assert batcher.embed(torch.ones(1, 3)).tolist() == [[1.0, 1.0, 1.0]]
    batcher.close()
    with pytest.raises(RuntimeError, match="closed"):
        batcher.submit(torch.zeros(1, 3))
