"""Per-image latency of face verification's front half on this machine's CPU: ours against
dlib's own pipeline, on the same LFW photos in the same run.

Ours: MTCNN detection (OpenCV DNN) + 5-point similarity alignment + the PyTorch port of
dlib's ResNet. dlib's (as the ``face_recognition`` package runs it): HOG detector,
5-point shape predictor, ``get_face_chip``, ``compute_face_descriptor`` with 1 jitter.
One image at a time, after warm-up; torch and dlib on the same thread budget.

    python -m bench.face_pipeline_latency [--images 100] [--threads 1]
"""

import argparse
import statistics
import time
from pathlib import Path

import dlib
import numpy as np
import torch
from PIL import Image

from models.networks.dlib_resnet import DlibResNet
from models.networks.dlib_weights import FILE_NAME, dlib_state_dict, installed_dlib_models
from models.preprocessing.face_alignment import align_face
from models.preprocessing.face_detection import FaceDetector

LFW = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "lfw" / "images"


def _ours(detector: FaceDetector, network: DlibResNet, rgb: np.ndarray) -> np.ndarray | None:
    faces = detector.detect(rgb)
    if not faces:
        return None
    chip = align_face(rgb, faces[0].landmarks, 150, 150)
    with torch.inference_mode():
        pixels = torch.from_numpy(chip).permute(2, 0, 1)[None].float() / 255.0
        return network(pixels)[0].numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    models = installed_dlib_models()
    if models is None:
        raise SystemExit("face_recognition_models is not installed")
    torch.set_num_threads(args.threads)
    photos = [
        np.asarray(Image.open(path).convert("RGB"))
        for path in sorted(LFW.glob("*/*.jpg"))[: args.images + 5]
    ]
    detector = FaceDetector()
    network = DlibResNet().eval()
    network.load_state_dict(dlib_state_dict(models / FILE_NAME))
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    recogniser = dlib.face_recognition_model_v1(str(models / FILE_NAME))

    def theirs(rgb: np.ndarray) -> np.ndarray | None:
        found = hog(rgb, 1)
        if not found:
            return None
        chip = dlib.get_face_chip(rgb, shapes(rgb, found[0]), size=150, padding=0.25)
        return np.array(recogniser.compute_face_descriptor(chip, 1))

    timings: dict[str, list[float]] = {"ours": [], "dlib": []}
    found = {"ours": 0, "dlib": 0}
    for index, rgb in enumerate(photos):
        for name, run in (("ours", lambda p: _ours(detector, network, p)), ("dlib", theirs)):
            started = time.perf_counter()
            result = run(rgb)
            if index >= 5:  # the first five warm up
                timings[name].append(1000 * (time.perf_counter() - started))
                found[name] += result is not None
    for name, ms in timings.items():
        print(
            f"{name:<5} median {statistics.median(ms):7.1f} ms, mean {statistics.mean(ms):7.1f} ms "
            f"per image ({found[name]} of {len(ms)} faces found, {args.threads} thread(s))"
        )
    ratio = statistics.median(timings["dlib"]) / statistics.median(timings["ours"])
    print(f"ours is {ratio:.2f}x faster than dlib's pipeline (median)")


if __name__ == "__main__":
    main()
