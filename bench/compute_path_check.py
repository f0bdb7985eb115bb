"""Does a compute path change decisions? EER and TAR at FAR 1e-3 against fp32's.

Each image is prepared once; the same inputs are then embedded by the model loaded on each
compute path and scored on the same pairs: the default face model (dlib + SFace,
imported) on LFW's pairs, the shipped signature model on CEDAR's protocol pairs (genuine,
skilled, random).
A path passes when neither figure moves by more than 0.05 points; otherwise keep fp32 for
that model (``TWINVERIFY_<MODALITY>_COMPUTE_PATH=fp32``). Prints speed too (images/s of
the forward pass alone, this machine).

    python -m bench.compute_path_check [--paths channels-last bf16] [--lfw-pairs 6000]
"""

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from models.bundled import SIGNATURE_CHECKPOINT
from models.data.folder_dataset import load_folder_dataset
from models.data.pairs_file import read_pairs
from models.errors import ImageError
from models.evaluation.all_pairs import protocol_pairs
from models.evaluation.summary import summarise
from models.face_fusion_checkpoint import import_fusion_checkpoint
from models.hardware import select_device
from models.preprocessing import load_image
from models.serving import ComputePathChoice, load_served_model

DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"
# The most a path may move EER or TAR@FAR1e-3, in percentage points.
TOLERANCE_POINTS = 0.05


def lfw_inputs(
    checkpoint: Path, limit: int
) -> tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray]:
    """Prepared LFW images and the pairs among them: (inputs, first, second, labels)."""
    model = load_served_model(checkpoint, torch.device("cpu"), compute="fp32")
    pairs = read_pairs(DATASETS / "lfw" / "pairs.txt", DATASETS / "lfw" / "images")[:limit]
    distinct = sorted({path for pair in pairs for path in (pair.a, pair.b)})

    def prepare(path: Path) -> torch.Tensor | None:
        try:
            return model.preprocessor.prepare(load_image(path))
        except ImageError:
            return None

    with ThreadPoolExecutor(2) as pool:
        prepared = list(pool.map(prepare, distinct))
    row = {
        path: n for n, (path, t) in enumerate(zip(distinct, prepared, strict=True)) if t is not None
    }
    inputs = torch.stack([t for t in prepared if t is not None])
    kept = [pair for pair in pairs if pair.a in row and pair.b in row]
    first = np.array([row[pair.a] for pair in kept])
    second = np.array([row[pair.b] for pair in kept])
    return inputs, first, second, np.array([pair.label for pair in kept])


def cedar_inputs(checkpoint: Path) -> tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray]:
    model = load_served_model(checkpoint, torch.device("cpu"), compute="fp32")
    images = load_folder_dataset(DATASETS / "cedar", model.preprocessor).images
    pairs = protocol_pairs(images.identity_ids(), images.is_forgery, 200_000, seed=0)
    labels = np.array([kind == "genuine" for kind in pairs.kinds], dtype=np.int64)
    return images.images, pairs.first.numpy(), pairs.second.numpy(), labels


def figures(
    checkpoint: Path,
    path: ComputePathChoice,
    inputs: torch.Tensor,
    first: np.ndarray,
    second: np.ndarray,
    labels: np.ndarray,
) -> tuple[float, float, float]:
    """EER %, TAR@FAR1e-3 %, images/s of the forward pass."""
    model = load_served_model(checkpoint, select_device("auto"), compute=path)
    model.embed(inputs[:8])  # warm-up
    started = time.perf_counter()
    embeddings = model.embed(inputs)
    rate = len(inputs) / (time.perf_counter() - started)
    with torch.inference_mode():
        scores = model.comparator(
            embeddings[torch.from_numpy(first)].to(model.device),
            embeddings[torch.from_numpy(second)].to(model.device),
        )
    summary = summarise(scores.double().cpu().numpy(), labels, np.full(labels.size, "pair"))
    return 100 * summary.eer, 100 * summary.tar_at_far["1e-03"], rate


def check(
    name: str,
    checkpoint: Path,
    paths: list[ComputePathChoice],
    data: tuple[torch.Tensor, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    inputs, labels = data[0], data[3]
    print(f"{name}: {len(inputs)} images, {labels.size} pairs ({int(labels.sum())} same)")
    eer, tar, rate = figures(checkpoint, "fp32", *data)
    print(f"  fp32           EER {eer:6.3f} %  TAR@FAR1e-3 {tar:6.2f} %  {rate:7.1f} images/s")
    for path in paths:
        other_eer, other_tar, other_rate = figures(checkpoint, path, *data)
        moved = max(abs(other_eer - eer), abs(other_tar - tar))
        verdict = "keeps decisions" if moved <= TOLERANCE_POINTS else "CHANGES decisions: keep fp32"
        print(
            f"  {path:<14} EER {other_eer:6.3f} %  TAR@FAR1e-3 {other_tar:6.2f} %  "
            f"{other_rate:7.1f} images/s  (moved {moved:.3f} points: {verdict})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--paths", nargs="+", default=["channels-last", "bf16"])
    parser.add_argument("--lfw-pairs", type=int, default=6000, help="the first N of pairs.txt")
    parser.add_argument("--only", choices=["face", "signature"])
    args = parser.parse_args()
    capability = torch.backends.cpu.get_cpu_capability()
    print(f"device {select_device('auto')}, CPU {capability}, torch {torch.__version__}")
    if args.only != "face":
        check(
            "signature (shipped) on CEDAR",
            SIGNATURE_CHECKPOINT,
            args.paths,
            cedar_inputs(SIGNATURE_CHECKPOINT),
        )
    if args.only != "signature":
        with tempfile.TemporaryDirectory() as tmp:
            face = import_fusion_checkpoint(Path(tmp) / "face.safetensors")
            check("face (default) on LFW", face, args.paths, lfw_inputs(face, args.lfw_pairs))


if __name__ == "__main__":
    main()
