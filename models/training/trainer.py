"""The training loop: epochs of twin-network updates, validation EER, best checkpoint.

Read top to bottom: build, (resume), then per epoch train -> validate -> checkpoint -> log.
"""

import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch
from torch.optim.swa_utils import AveragedModel
from torch.utils.data import DataLoader
from tqdm import tqdm

from models.checkpoint import build_model, describe, save_checkpoint
from models.data.image_set import ImageSet
from models.hardware import select_device
from models.losses import Objective, build_objective
from models.preprocessing import Preprocessor, build_preprocessor
from models.provenance import DataProvenance, code_version
from models.training.config import TrainConfig
from models.training.loop_parts import (
    make_loader,
    make_optimizer,
    make_scheduler,
    seed_everything,
)
from models.training.precision import Precision, select_precision
from models.training.shipped_thresholds import (
    calibration_trials,
    check_calibration,
    reference_scoring,
    reference_table,
    shipped_calibration,
)
from models.training.state import load_training_state, save_training_state
from models.training.validation import ValidationResult, check_validation_set, validate
from models.twin import TwinNetwork

BEST_CHECKPOINT = "best.safetensors"
LAST_STATE = "last.safetensors"
METRICS_LOG = "metrics.jsonl"


@dataclass(frozen=True)
class TrainResult:
    checkpoint: Path
    best_epoch: int
    best_eer: float
    epochs_run: int
    stopped_early: bool
    seconds: float


def _sort_key(result: ValidationResult) -> tuple[float, float]:
    """Lower is better: EER first, then (for ties such as EER 0) higher AUC."""
    return (result.summary.eer, -result.summary.roc_auc)


def train(
    config: TrainConfig,
    train_set: ImageSet,
    validation_set: ImageSet,
    provenance: DataProvenance | None = None,
    resume: Path | None = None,
    progress_bar: bool = True,
) -> TrainResult:
    """Train per ``config``; writes ``best.safetensors``, ``last.safetensors`` and
    ``metrics.jsonl`` under ``config.output_dir`` and returns where the best model is."""
    started = time.perf_counter()
    check_validation_set(validation_set)
    check_calibration(validation_set, config.calibration)
    seed_everything(config.seed)
    device = select_device(config.device)
    comparison = config.resolved_comparison
    preprocessor = build_preprocessor(config.preprocessing)
    model = build_model(config.encoder, comparison, for_training=True).to(device)
    objective = build_objective(
        config.loss,
        comparison.name,
        config.encoder.projection_size or config.encoder.embedding_size,
        len(train_set.identity_names),
    ).to(device)
    optimizer = make_optimizer(config.training, [model, objective])
    scheduler = make_scheduler(config.training, optimizer)
    loader, sampler = make_loader(config, train_set)
    averaged = make_weight_average(model, config.training.ema_decay)
    # What is validated and saved: the averaged weights when training keeps an average.
    shipped = model if averaged is None else cast(TwinNetwork, averaged.module)
    precision = select_precision(config.training, device)
    scaler = torch.amp.GradScaler(device.type, enabled=precision.scales_gradients)
    if config.training.channels_last:
        model.to(memory_format=torch.channels_last)
    out = config.output_dir
    out.mkdir(parents=True, exist_ok=True)

    progress: dict[str, Any] = {
        "epoch": -1,
        "best_key": [math.inf, math.inf],
        "best_epoch": -1,
        "stale": 0,
    }
    if resume is not None:
        progress = load_training_state(resume, model, objective, optimizer, scheduler, averaged)
    else:
        (out / METRICS_LOG).unlink(missing_ok=True)
    stopped_early = False
    for epoch in range(progress["epoch"] + 1, config.training.epochs):
        epoch_started = time.perf_counter()
        sampler.set_epoch(epoch)
        loss = _train_epoch(
            model,
            objective,
            loader,
            optimizer,
            scaler,
            preprocessor,
            device,
            precision,
            config.training.channels_last,
            config.training.grad_clip,
            f"epoch {epoch + 1}/{config.training.epochs}",
            progress_bar,
            averaged,
        )
        result = validate(
            shipped,
            preprocessor,
            validation_set,
            device,
            config.training.max_validation_negatives,
            config.seed,
        )
        learning_rate = optimizer.param_groups[0]["lr"]
        scheduler.step()
        improved = list(_sort_key(result)) < progress["best_key"]
        if improved or config.training.keep == "last":
            progress.update(best_key=list(_sort_key(result)), best_epoch=epoch, stale=0)
            _save_best(
                out / BEST_CHECKPOINT, shipped, config, result, validation_set, epoch, provenance
            )
        else:
            progress["stale"] += 1
        progress["epoch"] = epoch
        _log_epoch(
            out / METRICS_LOG,
            epoch,
            loss,
            result,
            learning_rate,
            improved,
            time.perf_counter() - epoch_started,
        )
        save_training_state(
            out / LAST_STATE, model, objective, optimizer, scheduler, progress, averaged
        )
        if progress["stale"] >= config.training.patience:
            stopped_early = True
            break
    return TrainResult(
        checkpoint=out / BEST_CHECKPOINT,
        best_epoch=progress["best_epoch"],
        best_eer=progress["best_key"][0],
        epochs_run=progress["epoch"] + 1,
        stopped_early=stopped_early,
        seconds=time.perf_counter() - started,
    )


TensorList = tuple[torch.Tensor, ...] | list[torch.Tensor]


def make_weight_average(model: TwinNetwork, decay: float | None) -> AveragedModel | None:
    """An exponential moving average of the weights and batch-norm statistics.

    torch's :class:`AveragedModel` keeps it; the decay warms up as ``(1 + n) / (10 + n)``
    over the first updates (as timm's model EMA does) so the random initialisation, and
    batch-norm statistics from before the first steps, are forgotten quickly.
    """
    if decay is None:
        return None

    @torch.no_grad()
    def update(averages: TensorList, currents: TensorList, updates: torch.Tensor | int) -> None:
        step = float(updates)
        weight = 1.0 - min(decay, (1.0 + step) / (10.0 + step))
        for average, current in zip(averages, currents, strict=True):
            if average.is_floating_point():
                average.lerp_(current, weight)
            else:
                average.copy_(current)

    return AveragedModel(model, multi_avg_fn=update, use_buffers=True)


def _train_epoch(
    model: TwinNetwork,
    objective: Objective,
    loader: DataLoader[Any],
    optimizer: torch.optim.Optimizer,
    scaler: torch.amp.GradScaler,
    preprocessor: Preprocessor,
    device: torch.device,
    precision: Precision,
    channels_last: bool,
    grad_clip: float | None,
    description: str,
    progress_bar: bool,
    averaged: AveragedModel | None,
) -> float:
    """One pass over the epoch's batches; returns the mean loss."""
    model.train()
    objective.train()
    total, steps = 0.0, 0
    bar = tqdm(loader, desc=description, disable=not progress_bar, leave=False, unit="batch")
    memory_format = torch.channels_last if channels_last else torch.contiguous_format

    def to_input(batch: torch.Tensor) -> torch.Tensor:
        return preprocessor.to_input(batch).to(device, memory_format=memory_format)

    for batch in bar:
        with precision.autocast:
            if objective.batch_kind == "pairs":
                first, second, labels = batch
                loss = objective.pair_loss(
                    model, to_input(first), to_input(second), labels.to(device)
                )
            else:
                images, labels = batch
                loss = objective.label_loss(model, to_input(images), labels.to(device))
        optimizer.zero_grad(set_to_none=True)
        torch.autograd.backward(scaler.scale(loss))
        if grad_clip is not None:
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(
                [p for g in optimizer.param_groups for p in g["params"]], grad_clip
            )
        scaler.step(optimizer)
        scaler.update()
        if averaged is not None:
            averaged.update_parameters(model)
        total += float(loss.detach())
        steps += 1
        bar.set_postfix(loss=f"{total / steps:.4f}")
    return total / max(1, steps)


def _save_best(
    path: Path,
    model: TwinNetwork,
    config: TrainConfig,
    result: ValidationResult,
    validation_set: ImageSet,
    epoch: int,
    provenance: DataProvenance | None,
) -> None:
    comparison = config.resolved_comparison
    comparator = model.comparator
    scoring = reference_scoring(comparator, result, validation_set, config.calibration)
    trials = calibration_trials(comparator, result, validation_set, config.calibration, scoring)
    thresholds, likelihood_ratio = shipped_calibration(trials, config.calibration)
    metadata = describe(
        model,
        name=config.name,
        version=config.version,
        modality=config.data.modality,
        encoder=config.encoder,
        comparison=comparison,
        preprocessing=config.preprocessing,
        thresholds=thresholds,
        likelihood_ratio=likelihood_ratio,
        reference_scoring=scoring,
        metrics={
            "epoch": epoch + 1,
            "validation": result.summary.model_dump(),
            "references": reference_table(comparator, result, validation_set, scoring),
        },
        provenance=provenance,
        training=config.model_dump(mode="json"),
        code_version=code_version(),
    )
    save_checkpoint(path, model, metadata)


def _log_epoch(
    path: Path,
    epoch: int,
    loss: float,
    result: ValidationResult,
    learning_rate: float,
    improved: bool,
    seconds: float,
) -> None:
    summary = result.summary
    record = {
        "epoch": epoch + 1,
        "train_loss": round(loss, 6),
        "val_eer": summary.eer,
        "val_roc_auc": summary.roc_auc,
        "val_tar_at_far": summary.tar_at_far,
        "val_eer_by_negative_kind": summary.eer_by_negative_kind,
        "learning_rate": learning_rate,
        "improved": improved,
        "seconds": round(seconds, 3),
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record) + "\n")
