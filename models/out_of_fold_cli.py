"""``twinverify evaluate-folds`` and ``calibrate-out-of-fold``: writer cross-validation
through fold checkpoints, each scored only on the identities it never trained on."""

import argparse
import json
from pathlib import Path

from models.checkpoint import CheckpointMetadata, load_checkpoint, read_metadata, save_checkpoint
from models.data.held_out import validation_images
from models.errors import ConfigError
from models.evaluation.out_of_fold import (
    NEGATIVE_KINDS,
    HeldOutFold,
    MeanResult,
    OutOfFoldReport,
    out_of_fold_calibration,
    out_of_fold_report,
)
from models.evaluation.reference_trials import (
    REFERENCE_COUNTS,
    ReferenceResult,
    reference_report,
    scoring_for,
)
from models.evaluation.trial_calibration import Negatives
from models.hardware import select_device
from models.reference_scoring import SCORING_RULES, ScoringRule
from models.serving import load_served_model


def add_out_of_fold_commands(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    folds = subcommands.add_parser(
        "evaluate-folds",
        help="writer cross-validation: each fold checkpoint on its own validation identities; "
        "per-fold, mean and pooled error rates and Cllr with 1, 3 and 5 references",
    )
    _add_fold_arguments(folds)
    folds.add_argument("--references", type=int, nargs="+", default=list(REFERENCE_COUNTS))
    folds.add_argument("--out", type=Path, help="write the report as JSON here")
    folds.set_defaults(handler=_evaluate_folds)

    calibrator = subcommands.add_parser(
        "calibrate-out-of-fold",
        help="thresholds and the likelihood-ratio map of a checkpoint from the fold "
        "checkpoints' held-out trials (every identity scored by a model that never saw it)",
    )
    calibrator.add_argument("--checkpoint", type=Path, required=True, help="the model to ship")
    _add_fold_arguments(calibrator)
    calibrator.add_argument(
        "--references",
        type=int,
        help="enrolled references per trial (default: the checkpoint's calibration setting)",
    )
    calibrator.add_argument(
        "--negatives",
        choices=["all", "skilled"],
        help="negatives the FARs are measured on (default: the checkpoint's setting)",
    )
    calibrator.add_argument(
        "--name", help="publish the calibrated model under this name (default: the checkpoint's)"
    )
    calibrator.add_argument(
        "--version",
        help="publish it as this model version (default: the checkpoint's); a new version "
        "whenever the weights differ from a published model's, so embeddings never mix",
    )
    calibrator.add_argument("--out", type=Path, required=True, help="the calibrated checkpoint")
    calibrator.set_defaults(handler=_calibrate_out_of_fold)


def _add_fold_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--folds", type=Path, nargs="+", required=True, help="one checkpoint per writer fold"
    )
    parser.add_argument(
        "--root", type=Path, help="dataset root (default: the one the folds were trained on)"
    )
    parser.add_argument("--draws", type=int, default=10, help="reference sets per identity")
    parser.add_argument(
        "--aggregation",
        choices=SCORING_RULES,
        help="how scores against the references become one (default: each checkpoint's rule; "
        "a prior spread a fold lacks is estimated on its held-out identities)",
    )


def held_out_folds(
    paths: list[Path], root: Path | None, rule: ScoringRule | None = None
) -> list[HeldOutFold]:
    device = select_device("auto")
    folds = []
    for path in paths:
        model = load_served_model(path, device)
        images = validation_images(model.metadata, path, root, model.preprocessor)
        embeddings = model.embed(images.images).to(device)
        identity_ids, is_forgery = images.identity_ids().to(device), images.is_forgery.to(device)
        comparator = model.comparator
        scoring, _ = scoring_for(
            rule,
            model.metadata.reference_scoring,
            embeddings,
            comparator,
            identity_ids,
            is_forgery,
        )
        folds.append(
            HeldOutFold(
                label=str(path),
                embeddings=embeddings,
                comparator=comparator,
                identity_names=tuple(images.identity_names),
                identity_ids=identity_ids,
                is_forgery=is_forgery,
                scoring=scoring,
            )
        )
    return folds


def _evaluate_folds(args: argparse.Namespace) -> int:
    folds = held_out_folds(args.folds, args.root, args.aggregation)
    try:
        report = out_of_fold_report(folds, args.references, args.draws)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    _print_report(report)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return 0


def _print_report(report: OutOfFoldReport) -> None:
    identities = sum(fold.identities for fold in report.folds)
    rule = report.pooled[0].aggregation if report.pooled else "max"
    print(f"{len(report.folds)} folds, {identities} held-out identities, {rule} over references")
    print(f"{'':<8}{'refs':>4}  {'negatives':<9} {'EER %':>7} {'FRR@FAR1% %':>12} {'Cllr':>6}")
    for index, fold in enumerate(report.folds):
        for row in fold.table:
            for kind in _ordered(row.eer):
                print(_line(f"fold {index}", row, kind, f" {row.cllr[kind]:>6.3f}"))
    for mean in report.mean:
        for kind in _ordered(mean.eer):
            moved = mean.transferred[kind][0]
            print(
                _line("mean", mean, kind, f" {mean.cllr[kind]:>6.3f}")
                + f"  (min Cllr {mean.min_cllr[kind]:.3f}; threshold for FAR "
                f"{100 * moved.target_far:g} % set on the other folds: FAR "
                f"{100 * moved.far:.2f} %, FRR {100 * moved.frr:.1f} %)"
            )
    for pooled in report.pooled:
        for kind in _ordered(pooled.eer):
            print(_line("pooled", pooled, kind))


def _line(label: str, row: ReferenceResult | MeanResult, kind: str, extra: str = "") -> str:
    eer, frr = 100 * row.eer[kind], 100 * row.frr_at_far[kind]["1e-02"]
    return f"{label:<8}{row.references:>4}  {kind:<9} {eer:>7.2f} {frr:>12.2f}{extra}"


def _check_same_recipe(shipped: CheckpointMetadata, folds: list[Path]) -> None:
    """Fold scores calibrate the shipped model only if they come from the same model kind:
    same architecture, comparison and preprocessing (the weights differ by training data)."""
    for path in folds:
        fold = read_metadata(path)
        for part in ("modality", "encoder", "comparison", "preprocessing"):
            if getattr(fold, part) != getattr(shipped, part):
                raise ConfigError(
                    f"{path}: its {part} differs from the checkpoint's; out-of-fold scores "
                    "only calibrate a model of the same recipe"
                )


def _ordered(kinds: dict[str, float]) -> list[str]:
    """Skilled forgeries first, the attack that matters, then random ones."""
    return [kind for kind in NEGATIVE_KINDS if kind in kinds]


def _negatives(value: object) -> Negatives:
    if value == "skilled":
        return "skilled"
    if value == "all":
        return "all"
    raise ConfigError(f"negatives {value!r}: expected 'all' or 'skilled'")


def _shipped_fold(args: argparse.Namespace, folds: list[HeldOutFold]) -> HeldOutFold:
    """The shipped model on its own validation identities: its fold when it is one of the
    folds (so its prior spread comes from its own held-out identities)."""
    for path, fold in zip(args.folds, folds, strict=True):
        if path.resolve() == args.checkpoint.resolve():
            return fold
    return held_out_folds([args.checkpoint], args.root, args.aggregation)[0]


def _reference_table(fold: HeldOutFold) -> list[dict[str, object]]:
    """The checkpoint's stored 1 / 3 / 5-reference table, scored by its (new) rule."""
    results = reference_report(
        fold.embeddings, fold.comparator, fold.identity_ids, fold.is_forgery, scoring=fold.scoring
    )
    return [result.model_dump() for result in results]


def _calibrate_out_of_fold(args: argparse.Namespace) -> int:
    shipped = load_checkpoint(args.checkpoint, "cpu")
    calibration = shipped.metadata.training.get("calibration", {})
    references = args.references or int(calibration.get("references", 1))
    negatives = _negatives(args.negatives or calibration.get("negatives", "all"))
    _check_same_recipe(shipped.metadata, args.folds)
    folds = held_out_folds(args.folds, args.root, args.aggregation)
    own = _shipped_fold(args, folds)
    scoring = own.scoring
    metrics = dict(shipped.metadata.metrics)
    if scoring != shipped.metadata.reference_scoring:
        metrics["references"] = _reference_table(own)  # the table follows the rule
    try:
        points, likelihood_ratio, trials = out_of_fold_calibration(
            folds, references, negatives, args.draws
        )
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    facts = {
        "folds": [str(path) for path in args.folds],
        "identities": sum(len(fold.identity_names) for fold in folds),
        "references": references,
        "negatives": negatives,
        "scoring": scoring.model_dump(),
        "trials": trials,
    }
    metadata = shipped.metadata.model_copy(
        update={
            "name": args.name or shipped.metadata.name,
            "version": args.version or shipped.metadata.version,
            "thresholds": points,
            "reference_scoring": scoring,
            "likelihood_ratio": likelihood_ratio,
            "metrics": {**metrics, "out_of_fold_calibration": facts},
        }
    )
    save_checkpoint(args.out, shipped.model, metadata)
    print(json.dumps(facts))
    for key, point in points.items():
        print(
            f"  {key:<10} threshold {point.threshold:9.5f}  FAR {100 * point.far:.4f} %  "
            f"FRR {100 * point.frr:.3f} %{'' if point.reliable else '  (unreliable)'}"
        )
    print(
        f"  log10 LR = ({likelihood_ratio.slope:.4f} * score + {likelihood_ratio.offset:.4f}) "
        f"/ ln 10; Cllr {likelihood_ratio.cllr:.3f} bits (min {likelihood_ratio.min_cllr:.3f})"
    )
    print(f"-> {args.out}")
    return 0
