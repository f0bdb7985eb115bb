"""``twinverify train`` and ``twinverify evaluate``: the training module's command line."""

import argparse
import logging
import sys
from pathlib import Path

import numpy as np

from models.checkpoint import load_checkpoint
from models.data.pairs_file import read_pairs
from models.errors import TwinverifyError
from models.evaluation.pairs_evaluation import EvaluationReport, evaluate_report
from models.evaluation.plots import save_plots
from models.training.config import load_config
from models.training.datasets import load_training_data
from models.training.loop_parts import select_device
from models.training.trainer import train


def add_training_commands(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    """Register ``train`` and ``evaluate`` on a parent parser's subcommands."""
    trainer = subcommands.add_parser("train", help="train a twin network from a config file")
    trainer.add_argument("--config", type=Path, required=True, help="TOML or YAML training config")
    trainer.add_argument("--resume", type=Path, help="continue from a run's last.safetensors")
    trainer.add_argument("--output-dir", type=Path, help="override the config's output_dir")
    trainer.add_argument("--no-progress", action="store_true", help="no per-epoch progress bar")
    trainer.set_defaults(handler=_train)

    evaluator = subcommands.add_parser("evaluate", help="score a pairs file with a checkpoint")
    evaluator.add_argument("--checkpoint", type=Path, required=True)
    evaluator.add_argument(
        "--pairs", type=Path, required=True, help="TSV (a b label kind) or LFW pairs.txt"
    )
    evaluator.add_argument("--root", type=Path, help="folder that relative image paths start from")
    evaluator.add_argument("--out", type=Path, help="write the report as JSON here")
    evaluator.add_argument(
        "--plots", type=Path, help="write ROC, DET and score histogram PNGs here"
    )
    evaluator.add_argument("--batch-size", type=int, default=64)
    evaluator.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    evaluator.set_defaults(handler=_evaluate)


def _train(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    if args.output_dir is not None:
        config = config.model_copy(update={"output_dir": args.output_dir})
    train_set, validation_set, provenance = load_training_data(config)
    print(
        f"data: {provenance.images} images of {provenance.identities} identities "
        f"({provenance.forgeries} forgeries, {provenance.skipped_images} skipped); "
        f"train {provenance.train_identities} / "
        f"validation {provenance.validation_identities} identities"
    )
    result = train(config, train_set, validation_set, provenance, args.resume, not args.no_progress)
    print(
        f"best validation EER {100 * result.best_eer:.3f} % at epoch {result.best_epoch + 1} "
        f"({result.epochs_run} epochs{', stopped early' if result.stopped_early else ''}, "
        f"{result.seconds:.1f} s) -> {result.checkpoint}"
    )
    return 0


def _print_report(report: EvaluationReport) -> None:
    summary = report.summary
    print(
        f"model {report.model}: {summary.pairs} pairs "
        f"({summary.positives} same, {summary.negatives} different)"
    )
    print(f"  EER            {100 * summary.eer:7.3f} %  (threshold {summary.eer_threshold:.5f})")
    print(f"  ROC AUC        {summary.roc_auc:9.5f}")
    for far, tar in summary.tar_at_far.items():
        print(f"  TAR @ FAR {far} {100 * tar:7.3f} %")
    if summary.kfold_accuracy is not None:
        print(
            f"  {summary.folds}-fold accuracy {100 * summary.kfold_accuracy:.3f} % "
            f"(+/- {100 * (summary.kfold_accuracy_std or 0):.3f})"
        )
    for kind, eer in summary.eer_by_negative_kind.items():
        print(f"  EER vs {kind:<8} {100 * eer:7.3f} %")
    if report.unusable_images:
        print(
            f"  {len(report.unusable_images)} unusable images, {report.pairs_skipped} pairs skipped"
        )
    print(
        f"  {report.images} images embedded in {report.seconds:.1f} s "
        f"({report.images_per_second} images/s)"
    )


def _evaluate(args: argparse.Namespace) -> int:
    device = select_device(args.device)
    checkpoint = load_checkpoint(args.checkpoint, device)
    pairs = read_pairs(args.pairs, args.root)
    report, scored = evaluate_report(
        checkpoint, args.checkpoint, pairs, args.pairs, device, args.batch_size
    )
    _print_report(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if args.plots is not None:
        save_plots(
            np.asarray(scored.scores),
            np.asarray(scored.labels),
            np.asarray(scored.kinds),
            args.plots,
            report.model,
        )
    return 0


def run_handler(args: argparse.Namespace) -> int:
    """Run a subcommand; project errors become one clear line and exit status 2."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        code: int = args.handler(args)
    except TwinverifyError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return code
