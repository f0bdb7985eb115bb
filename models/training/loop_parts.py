"""The pieces the training loop is assembled from: device, seeds, optimiser, schedule, data."""

import random

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader

from models.data.augmentation import build_augmentation
from models.data.class_batch_sampler import ClassBalancedBatchSampler, mining_labels
from models.data.image_set import ImageSet
from models.data.pair_sampler import BalancedPairSampler
from models.data.torch_datasets import LabelledImages, PairImages
from models.training.config import TrainConfig, TrainingConfig

EpochSampler = BalancedPairSampler | ClassBalancedBatchSampler


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_optimizer(config: TrainingConfig, modules: list[nn.Module]) -> torch.optim.Optimizer:
    parameters = [p for module in modules for p in module.parameters() if p.requires_grad]
    if config.optimizer == "sgd":
        return torch.optim.SGD(
            parameters,
            lr=config.learning_rate,
            momentum=0.9,
            weight_decay=config.weight_decay,
            nesterov=True,
        )
    return torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)


def make_scheduler(
    config: TrainingConfig, optimizer: torch.optim.Optimizer
) -> torch.optim.lr_scheduler.LRScheduler:
    """Per-epoch schedule: optional linear warm-up, then cosine decay or a constant rate."""
    decay_epochs = max(1, config.epochs - config.warmup_epochs)
    main: torch.optim.lr_scheduler.LRScheduler
    if config.scheduler == "cosine":
        main = torch.optim.lr_scheduler.CosineAnnealingLR(
            optimizer, T_max=decay_epochs, eta_min=config.learning_rate * 0.01
        )
    else:
        main = torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    if config.warmup_epochs == 0:
        return main
    warmup = torch.optim.lr_scheduler.LinearLR(
        optimizer, start_factor=0.1, total_iters=config.warmup_epochs
    )
    return torch.optim.lr_scheduler.SequentialLR(
        optimizer, [warmup, main], milestones=[config.warmup_epochs]
    )


def make_loader(config: TrainConfig, images: ImageSet) -> tuple[DataLoader[object], EpochSampler]:
    """Balanced pairs for pair losses, class-balanced batches for mined / margin losses."""
    settings = config.training
    augment = build_augmentation(config.preprocessing, settings.augment)
    if config.loss.batch_kind == "pairs":
        sampler = BalancedPairSampler(
            images.identities,
            images.is_forgery.tolist(),
            pairs_per_epoch=settings.steps_per_epoch * settings.batch_size,
            skilled_fraction=settings.skilled_fraction,
            seed=config.seed,
        )
        pair_loader: DataLoader[object] = DataLoader(
            PairImages(images, augment),
            sampler=sampler,
            batch_size=settings.batch_size,
            drop_last=True,
            num_workers=settings.num_workers,
        )
        return pair_loader, sampler
    identity_ids = images.identity_ids()
    batch_sampler = ClassBalancedBatchSampler(
        identity_ids,
        images.is_forgery,
        batch_size=settings.batch_size,
        m_per_class=settings.m_per_class,
        batches_per_epoch=settings.steps_per_epoch,
        forgeries_per_class=settings.forgeries_per_class,
        seed=config.seed,
    )
    labels = mining_labels(identity_ids, images.is_forgery)
    label_loader: DataLoader[object] = DataLoader(
        LabelledImages(images, labels, augment),
        batch_sampler=batch_sampler,
        num_workers=settings.num_workers,
    )
    return label_loader, batch_sampler
