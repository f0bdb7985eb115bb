"""Where MTCNN's five landmarks fall on dlib's 150x150 face chips: the alignment template.

dlib's face-recognition network was trained on chips cut by ``get_face_chip`` (5-point
shape predictor, padding 0.25). This runs dlib's pipeline on LFW images, detects MTCNN
landmarks on each chip and prints their mean and spread: the numbers behind
``models/preprocessing/face_alignment.TEMPLATE_150``. Then it aligns the original photos
with that template and prints how far dlib's descriptor of our chip lies from dlib's
descriptor of its own chip (dlib's same-person threshold is 0.6).

With ``--detector yunet`` it measures where YuNet's five points fall on the chips that
MTCNN's points are aligned to (dlib's and ArcFace's): the numbers behind
``YUNET_150`` and ``YUNET_ARCFACE_112``, so that YuNet's chips frame faces as MTCNN's do.

    python -m bench.face_template [--images 300] [--detector yunet]
"""

import argparse
import random
from pathlib import Path

import dlib
import numpy as np

from models.networks.dlib_weights import installed_dlib_models
from models.preprocessing.face_alignment import (
    TEMPLATE_150,
    YUNET_150,
    YUNET_ARCFACE_112,
    align_face,
    similarity_to_template,
)
from models.preprocessing.face_detection import FaceDetector, thread_detector

LFW = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "lfw" / "images"


def dlib_models() -> Path:
    models = installed_dlib_models()
    if models is None:
        raise SystemExit("face_recognition_models is not installed")
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--detector", choices=["mtcnn", "yunet"], default="mtcnn")
    args = parser.parse_args()
    files = sorted(LFW.glob("*/*.jpg"))
    random.Random(0).shuffle(files)
    if args.detector == "yunet":
        yunet_templates(files[: args.images])
        return
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(dlib_models() / "shape_predictor_5_face_landmarks.dat"))
    recogniser = dlib.face_recognition_model_v1(
        str(dlib_models() / "dlib_face_recognition_resnet_model_v1.dat")
    )
    detector = FaceDetector()
    on_chips, distances = [], []
    for path in files[: args.images]:
        rgb = dlib.load_rgb_image(str(path))
        found = hog(rgb, 1)
        if not found:
            continue
        largest = max(found, key=lambda rect: rect.area())
        chip = dlib.get_face_chip(rgb, shapes(rgb, largest), size=150, padding=0.25)
        chip_faces = detector.detect(chip)
        photo_faces = detector.detect(rgb)
        if not chip_faces or not photo_faces:
            continue
        on_chips.append(chip_faces[0].landmarks)
        ours = align_face(rgb, photo_faces[0].landmarks, 150, 150)
        theirs = np.array(recogniser.compute_face_descriptor(chip))
        distances.append(float(np.linalg.norm(theirs - recogniser.compute_face_descriptor(ours))))
    points = np.stack(on_chips).astype(np.float64)
    print(f"{len(points)} chips of {args.images} LFW images")
    print("mean landmarks on the chip (x, y):", np.round(points.mean(0), 2).tolist())
    print("standard deviation (px):           ", np.round(points.std(0), 2).tolist())
    print(
        "shipped template:                  ", np.round(TEMPLATE_150.astype(np.float64), 2).tolist()
    )
    print(
        "dlib descriptor distance, our chip vs dlib's: "
        f"median {np.median(distances):.3f}, 90th percentile {np.percentile(distances, 90):.3f}"
    )


def yunet_templates(files: list[Path]) -> None:
    mtcnn, yunet = thread_detector(40, "mtcnn"), thread_detector(40, "yunet")
    points: dict[str, list[np.ndarray]] = {"dlib": [], "arcface": []}
    for path in files:
        rgb = dlib.load_rgb_image(str(path))
        by_mtcnn, by_yunet = mtcnn.detect(rgb), yunet.detect(rgb)
        if not by_mtcnn or not by_yunet:
            continue
        reference, theirs = by_mtcnn[0].landmarks, by_yunet[0].landmarks
        if (
            np.linalg.norm(reference.mean(0) - theirs.mean(0))
            > np.linalg.norm(reference[0] - reference[1]) / 2
        ):
            continue  # the two largest faces are not the same face
        for name, side in (("dlib", 150), ("arcface", 112)):
            matrix = similarity_to_template(reference, side, side, name)  # type: ignore[arg-type]
            points[name].append(theirs @ matrix[:, :2].T + matrix[:, 2])
    shipped = {"dlib": YUNET_150, "arcface": YUNET_ARCFACE_112}
    for name, found in points.items():
        stacked = np.stack(found)
        print(f"{name}: {len(stacked)} photos; YuNet's points on MTCNN-aligned chips (x, y):")
        print("  mean    ", np.round(stacked.mean(0), 2).tolist())
        print("  spread  ", round(float(stacked.std(0).mean()), 2), "px")
        print("  shipped ", np.round(shipped[name].astype(np.float64), 2).tolist())


if __name__ == "__main__":
    main()
