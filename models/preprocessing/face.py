"""Face preprocessing: detect the faces (MTCNN), choose the subject's (the largest unless
configured otherwise), align it by its five landmarks onto the template at the encoder's
input size (a similarity transform).

The spec's ``name`` stays ``face``: checkpoints name this pipeline, and training,
evaluation and serving all run it.
"""

from dataclasses import dataclass

import cv2
import numpy as np
import torch
from numpy.typing import NDArray
from PIL import Image

from models.errors import MultipleFacesError, NoFaceDetectedError
from models.preprocessing.base import NormalisingPreprocessor, PreparedImage, PreprocessSpec
from models.preprocessing.face_alignment import (
    ChipTemplate,
    FaceTemplate,
    similarity_to_template,
    warp_to_chip,
)
from models.preprocessing.face_detection import DetectedFace, shrunk, thread_detector
from models.preprocessing.face_options import DetectorName, FaceOptions
from models.preprocessing.face_selection import subject_first

# Detection runs on a copy whose longer side is at most this: a phone photo's 12 MP would
# cost MTCNN's pyramid seconds and find nothing a 1280 px copy misses.
DETECTION_MAX_SIDE = 1280
# A second face at least this tall relative to the largest makes "whose face?" ambiguous.
RIVAL_HEIGHT_RATIO = 0.5


@dataclass(frozen=True)
class AlignedFace:
    """The aligned chip ``uint8 (3, H, W)`` of the chosen face, and every face found (the
    chosen one first, then largest first; in the photo's pixel coordinates)."""

    chip: torch.Tensor
    faces: tuple[DetectedFace, ...]

    @property
    def face(self) -> DetectedFace:
        return self.faces[0]

    @property
    def rival_faces(self) -> int:
        """Other faces at least half as tall as the chosen one: a crowd in the background
        does not count, a second person beside the subject does."""
        height = self.face.box[3]
        return sum(1 for other in self.faces[1:] if other.box[3] >= RIVAL_HEIGHT_RATIO * height)


class FacePreprocessor(NormalisingPreprocessor):
    """RGB photo -> aligned ``uint8`` chip ``(3, height, width)`` of the subject's face."""

    # Twice the detector's copy: the chip is cut at up to twice detection's resolution.
    working_side = 2 * DETECTION_MAX_SIDE

    def __init__(self, spec: PreprocessSpec, options: FaceOptions | None = None) -> None:
        super().__init__(spec)
        self.options = options or FaceOptions()

    def detect(self, rgb: NDArray[np.uint8]) -> list[DetectedFace]:
        """Every face of at least ``min_face_size`` px in an RGB array, largest first, in
        the array's coordinates (found on a copy of at most :data:`DETECTION_MAX_SIDE`)."""
        small, scale = shrunk(rgb, DETECTION_MAX_SIDE)
        if scale == 1.0:
            return thread_detector(self.options.min_face_size, self.options.detector).detect(rgb)
        # MTCNN's smallest window is 12 px: a smaller minimum cannot be honoured anyway.
        smallest = max(12, round(self.options.min_face_size * scale))
        detector = thread_detector(smallest, self.options.detector)
        return [_rescaled(face, 1.0 / scale) for face in detector.detect(small)]

    def align(self, image: Image.Image) -> AlignedFace:
        """Detect, choose the subject's face, align it; no face is ``NoFaceDetectedError``."""
        rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        faces = self.detect(rgb)
        if not faces:
            raise NoFaceDetectedError(
                f"no face detected: no face of at least {self.options.min_face_size} px was found"
            )
        faces = subject_first(faces, rgb.shape, self.options.selection)
        chip = _aligned_chip(
            rgb,
            faces[0],
            self.spec.height,
            self.spec.width,
            self.spec.face_template,
            self.options.detector,
        )
        return AlignedFace(torch.from_numpy(chip.transpose(2, 0, 1).copy()), tuple(faces))

    def prepare(self, image: Image.Image) -> torch.Tensor:
        return self.align(image).chip

    def prepare_upload(self, image: Image.Image, one_subject_only: bool) -> PreparedImage:
        aligned = self.align(image)
        if one_subject_only and aligned.rival_faces:
            raise MultipleFacesError(
                f"{len(aligned.faces)} faces were found, {aligned.rival_faces + 1} of them of "
                "comparable size: an enrolment photo must show one person"
            )
        return PreparedImage(aligned.chip, aligned.face, len(aligned.faces))


def _rescaled(face: DetectedFace, factor: float) -> DetectedFace:
    x, y, width, height = face.box
    return DetectedFace(
        box=(round(x * factor), round(y * factor), round(width * factor), round(height * factor)),
        landmarks=(face.landmarks * factor).astype(np.float32),
        score=face.score,
    )


def _aligned_chip(
    rgb: NDArray[np.uint8],
    face: DetectedFace,
    height: int,
    width: int,
    template: FaceTemplate = "dlib",
    detector: DetectorName = "mtcnn",
) -> NDArray[np.uint8]:
    """The chip on ``template`` (or, for ``dlib+arcface``, both chips on one canvas), for
    landmarks found by ``detector``."""
    if template == "dlib+arcface":
        canvas = np.zeros((height, width, 3), dtype=np.uint8)
        canvas[:, :height] = _one_chip(rgb, face, height, height, "dlib", detector)
        side = width - height
        canvas[:side, height:] = _one_chip(rgb, face, side, side, "arcface", detector)
        return canvas
    return _one_chip(rgb, face, height, width, template, detector)


def _one_chip(
    rgb: NDArray[np.uint8],
    face: DetectedFace,
    height: int,
    width: int,
    template: ChipTemplate,
    detector: DetectorName,
) -> NDArray[np.uint8]:
    """The chip, shrinking a large face with area averaging first: a bilinear warp that
    shrinks more than 2x skips pixels and aliases (the chip would depend on photo size)."""
    matrix = similarity_to_template(face.landmarks, height, width, template, detector)
    scale = float(np.hypot(matrix[0, 0], matrix[0, 1]))
    if scale >= 0.5:
        return warp_to_chip(rgb, matrix, height, width)
    factor = 2.0 * scale
    smaller = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    # The same transform, for a photo shrunk by ``factor``: only the linear part changes.
    on_smaller = np.hstack([matrix[:, :2] / factor, matrix[:, 2:]])
    return warp_to_chip(np.asarray(smaller, dtype=np.uint8), on_smaller, height, width)
