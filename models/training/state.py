"""Resumable training state (weights, optimiser, schedule, progress) without pickle.

Tensors go into a safetensors file; everything else (optimiser hyper-parameters, the
scheduler's counters, the progress record) into its JSON metadata.
"""

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from torch import nn

from models.errors import CheckpointError
from models.safetensors_io import open_safetensors, write_safetensors

_STATE_KEY = "twinverify_training_state"


def _flatten_optimizer(
    optimizer: torch.optim.Optimizer,
) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    state = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for param_id, values in state["state"].items():
        for name, value in values.items():
            key = f"optimizer.{param_id}.{name}"
            if isinstance(value, torch.Tensor):
                tensors[key] = value.detach().cpu().contiguous()
            else:
                scalars[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def _unflatten_optimizer(tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    items: list[tuple[str, Any]] = [*tensors.items(), *meta["scalars"].items()]
    for key, value in items:
        _, param_id, name = key.split(".", 2)
        state.setdefault(int(param_id), {})[name] = value
    return {"state": state, "param_groups": meta["param_groups"]}


def save_training_state(
    path: Path,
    model: nn.Module,
    objective: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    progress: dict[str, Any],
    averaged: nn.Module | None = None,
) -> None:
    """Write everything needed to continue training after ``progress['epoch']``
    (``averaged``: the running average of the weights, when training keeps one)."""
    optimizer_tensors, optimizer_meta = _flatten_optimizer(optimizer)
    tensors = {
        **{f"model.{k}": v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
        **{
            f"objective.{k}": v.detach().cpu().contiguous()
            for k, v in objective.state_dict().items()
        },
        **optimizer_tensors,
    }
    if averaged is not None:
        averages = averaged.state_dict().items()
        tensors.update({f"averaged.{k}": v.detach().cpu().contiguous() for k, v in averages})
    meta = {"optimizer": optimizer_meta, "scheduler": scheduler.state_dict(), "progress": progress}
    write_safetensors(path, tensors, metadata={_STATE_KEY: json.dumps(meta)})


def load_training_state(
    path: Path,
    model: nn.Module,
    objective: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    averaged: nn.Module | None = None,
) -> dict[str, Any]:
    """Restore a state written by :func:`save_training_state`; returns its progress record."""
    try:
        with open_safetensors(path) as handle:
            header = handle.metadata() or {}
            tensors = {key: handle.get_tensor(key) for key in handle.keys()}  # noqa: SIM118
    except (OSError, SafetensorError) as exc:
        raise CheckpointError(f"cannot read training state {path}: {exc}") from exc
    if _STATE_KEY not in header:
        raise CheckpointError(f"{path} is not a training state (use the run's last.safetensors)")
    meta = json.loads(header[_STATE_KEY])

    def part(prefix: str) -> dict[str, torch.Tensor]:
        return {k[len(prefix) :]: v for k, v in tensors.items() if k.startswith(prefix)}

    try:
        model.load_state_dict(part("model."), strict=True)
        objective.load_state_dict(part("objective."), strict=True)
        if averaged is not None:
            averaged.load_state_dict(part("averaged."), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{path} was written for another architecture: {' '.join(str(exc).split())[:400]}"
        ) from exc
    optimizer_tensors = {k: v for k, v in tensors.items() if k.startswith("optimizer.")}
    optimizer.load_state_dict(_unflatten_optimizer(optimizer_tensors, meta["optimizer"]))
    scheduler.load_state_dict(meta["scheduler"])
    progress: dict[str, Any] = meta["progress"]
    return progress
