"""Offline face detection (MTCNN, weights inside its package) and similarity alignment."""

import cv2
import numpy as np
import pytest
from PIL import Image

from models.networks.dlib_weights import installed_dlib_models
from models.preprocessing.face_alignment import TEMPLATE_150, align_face, similarity_to_template
from models.preprocessing.face_detection import FaceDetector
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"
needs_lfw = pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def lfw_photo(name: str = "Aaron_Sorkin", number: int = 1) -> np.ndarray:
    with Image.open(LFW / name / f"{name}_{number:04d}.jpg") as photo:
        return np.asarray(photo.convert("RGB"))


def test_no_face_on_a_plain_page(detector: FaceDetector) -> None:
    page = np.random.default_rng(0).normal(200, 8, (240, 320, 3)).clip(0, 255)
    assert detector.detect(page.astype(np.uint8)) == []


def test_a_similarity_transform_of_the_template_is_undone_exactly() -> None:
    angle, scale, shift = np.deg2rad(12.0), 1.7, np.array([31.0, -7.0])
    rotation = scale * np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    moved = (TEMPLATE_150 @ rotation.T + shift).astype(np.float32)
    matrix = similarity_to_template(moved, 150, 150)
    back = moved @ matrix[:, :2].T + matrix[:, 2]
    np.testing.assert_allclose(back, TEMPLATE_150, atol=1e-3)
    # other output sizes scale the template
    half = similarity_to_template(moved, 75, 75)
    np.testing.assert_allclose(moved @ half[:, :2].T + half[:, 2], TEMPLATE_150 / 2, atol=1e-3)


@pytest.mark.dataset
@needs_lfw
def test_the_face_of_an_lfw_photo_is_found_with_landmarks_inside_its_box(
    detector: FaceDetector,
) -> None:
    photo = lfw_photo()
    faces = detector.detect(photo)
    assert faces
    face = faces[0]
    assert [f.area for f in faces] == sorted((f.area for f in faces), reverse=True)
    assert face.score > 0.95
    x, y, width, height = face.box
    assert 60 < width < 190  # LFW faces fill roughly the central 40 % of 250 px
    assert ((face.landmarks >= [x, y]) & (face.landmarks <= [x + width, y + height])).all()
    left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
    assert left_eye[0] < nose[0] < right_eye[0]
    assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])


@pytest.mark.dataset
@needs_lfw
def test_an_aligned_chip_puts_the_landmarks_on_the_template(detector: FaceDetector) -> None:
    for name in ("Aaron_Sorkin", "Abba_Eban", "AJ_Cook"):
        photo = lfw_photo(name)
        tilted = cv2.warpAffine(
            photo,
            cv2.getRotationMatrix2D((125, 125), 15, 1.0),
            (250, 250),
            borderMode=cv2.BORDER_REPLICATE,
        )
        chip = align_face(tilted, detector.detect(tilted)[0].landmarks, 150, 150)
        assert chip.shape == (150, 150, 3)
        found = detector.detect(chip)[0].landmarks
        # eyes land within 3 px of the template even from a photo rotated by 15 degrees
        assert np.abs(found[:2] - TEMPLATE_150[:2]).max() < 3.0, name


@pytest.mark.dataset
@needs_lfw
def test_our_chips_frame_faces_as_dlib_does(detector: FaceDetector) -> None:
    """dlib's network describes our MTCNN-aligned chip almost as it describes its own chip
    of the same photo (measured over 298 LFW photos: median distance 0.137; dlib's
    same-person threshold is 0.6)."""
    dlib = pytest.importorskip("dlib")
    models = installed_dlib_models()
    if models is None:
        pytest.skip("face_recognition_models is not installed")
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    recogniser = dlib.face_recognition_model_v1(
        str(models / "dlib_face_recognition_resnet_model_v1.dat")
    )
    distances = []
    for path in sorted(LFW.glob("A*/*_0001.jpg"))[:20]:
        photo = lfw_photo(path.parent.name)
        found = hog(photo, 1)
        if not found:
            continue
        theirs = dlib.get_face_chip(photo, shapes(photo, found[0]), size=150, padding=0.25)
        ours = align_face(photo, detector.detect(photo)[0].landmarks, 150, 150)
        a = np.array(recogniser.compute_face_descriptor(theirs))
        b = np.array(recogniser.compute_face_descriptor(ours))
        distances.append(float(np.linalg.norm(a - b)))
    assert len(distances) >= 15
    assert np.median(distances) < 0.2
