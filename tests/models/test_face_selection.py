"""Which face is the subject's: size, detector confidence and closeness to the centre."""

import numpy as np

from models.preprocessing.face_detection import DetectedFace
from models.preprocessing.face_selection import subject_first


def face(x: int, y: int, side: int, score: float = 0.99) -> DetectedFace:
    """A face box of ``side`` pixels centred on (x, y)."""
    box = (x - side // 2, y - side // 2, side, side)
    return DetectedFace(box=box, landmarks=np.zeros((5, 2), np.float32), score=score)


SHAPE = (500, 600, 3)  # height, width: the centre is (300, 250)


def chosen(faces: list[DetectedFace], selection: str = "prominent") -> DetectedFace:
    by_size = sorted(faces, key=lambda f: -f.box[2])
    ordered = subject_first(by_size, SHAPE, selection)  # type: ignore[arg-type]
    assert sorted(ordered, key=id) == sorted(by_size, key=id)  # a reordering, nothing lost
    return ordered[0]


def test_a_selfie_is_its_big_face_though_a_small_one_sits_nearer_the_centre() -> None:
    subject, background = face(200, 250, 300), face(390, 250, 60)
    assert chosen([subject, background], "central") is background
    assert chosen([subject, background]) is subject


def test_a_bystander_nearer_the_camera_at_the_edge_is_not_the_subject() -> None:
    subject, bystander = face(300, 250, 120), face(540, 250, 150)
    assert chosen([subject, bystander], "largest") is bystander
    assert chosen([subject, bystander]) is subject


def test_a_doubtful_detection_weighs_less_than_a_sure_one_of_the_same_size() -> None:
    sure, doubtful = face(250, 250, 100, 0.99), face(350, 250, 100, 0.6)
    assert chosen([doubtful, sure]) is sure


def test_one_face_is_the_subject_whatever_the_policy() -> None:
    only = face(50, 50, 40)
    for selection in ("prominent", "largest", "central"):
        assert chosen([only], selection) is only
