"""Face preprocessing: detect the faces (MTCNN), keep the largest, align it by its five
landmarks onto the template at the encoder's input size (a similarity transform).

The spec's ``name`` stays ``face``: checkpoints name this pipeline, and training,
evaluation and serving all run it.
"""

import threading

import numpy as np
import torch
from PIL import Image

from models.errors import NoFaceDetectedError
from models.preprocessing.base import NormalisingPreprocessor, PreprocessSpec
from models.preprocessing.face_alignment import align_face
from models.preprocessing.face_detection import DetectedFace, FaceDetector


class FacePreprocessor(NormalisingPreprocessor):
    """RGB photo -> aligned ``uint8`` chip ``(3, height, width)`` of its largest face."""

    def __init__(self, spec: PreprocessSpec, min_face_size: int = 20) -> None:
        super().__init__(spec)
        self.min_face_size = min_face_size
        # One detector per thread: OpenCV's networks are not safe to share across threads,
        # and loaders and the service prepare images from thread pools.
        self._local = threading.local()

    def _detector(self) -> FaceDetector:
        detector: FaceDetector | None = getattr(self._local, "detector", None)
        if detector is None:
            detector = FaceDetector(self.min_face_size)
            self._local.detector = detector
        return detector

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        """Every face in an RGB array, largest first."""
        return self._detector().detect(rgb)

    def prepare(self, image: Image.Image) -> torch.Tensor:
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        faces = self.detect(rgb)
        if not faces:
            raise NoFaceDetectedError(
                f"no face detected: no face of at least {self.min_face_size} px was found"
            )
        chip = align_face(rgb, faces[0].landmarks, self.spec.height, self.spec.width)
        return torch.from_numpy(chip.transpose(2, 0, 1).copy())
