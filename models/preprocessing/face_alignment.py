"""Face alignment: a similarity transform from five detected landmarks to a template.

Two templates. ``dlib`` places MTCNN's five points where they fall on dlib's 150x150 face chips
(``get_face_chip``, padding 0.25): the framing dlib's face-recognition network was trained
on. It was measured as the mean MTCNN landmark position on 298 dlib chips of LFW images
(``python -m bench.face_template``; standard deviation 1.8-2.3 px for the eyes, 4-6 px
for the nose and mouth). ``arcface`` is the 112x112 five-point template of ArcFace
(InsightFace), the framing SFace and most recent face networks were trained on. Other
output sizes scale either.
"""

from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray

from models.preprocessing.face_options import DetectorName

TEMPLATE_SIZE = 150
# left eye, right eye, nose, mouth left, mouth right; (x, y) on a 150x150 chip.
TEMPLATE_150: NDArray[np.float32] = np.array(
    [[49.77, 47.63], [104.48, 47.98], [76.88, 79.83], [52.97, 107.32], [100.17, 107.65]],
    dtype=np.float32,
)


ARCFACE_SIZE = 112
ARCFACE_112: NDArray[np.float32] = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float32,
)
# Where YuNet's five points fall on the chips MTCNN's points are aligned to (600 LFW
# photos, mean; spread 4.3 px on dlib's chip, 2.9 on ArcFace's): YuNet marks the mouth
# corners and eyes higher than MTCNN, so its points need templates of their own for the
# chips to frame the face the same way (``bench/face_template.py --detector yunet``).
YUNET_150: NDArray[np.float32] = np.array(
    [[47.85, 45.23], [102.83, 45.85], [75.19, 76.6], [51.3, 100.64], [98.27, 101.83]],
    dtype=np.float32,
)
YUNET_ARCFACE_112: NDArray[np.float32] = np.array(
    [[36.55, 50.44], [72.92, 50.38], [54.9, 70.96], [39.3, 87.07], [70.38, 87.46]],
    dtype=np.float32,
)
ChipTemplate = Literal["dlib", "arcface"]
# A face pipeline's framing: one template, or both chips side by side (face_fusion).
FaceTemplate = Literal["dlib", "arcface", "dlib+arcface"]


def template(
    height: int, width: int, name: ChipTemplate = "dlib", detector: DetectorName = "mtcnn"
) -> NDArray[np.float32]:
    """The landmark template for a ``height`` x ``width`` output, for ``detector``'s points."""
    if name == "dlib":
        points, size = (YUNET_150 if detector == "yunet" else TEMPLATE_150), TEMPLATE_SIZE
    else:
        points, size = (YUNET_ARCFACE_112 if detector == "yunet" else ARCFACE_112), ARCFACE_SIZE
    scale = np.array([width / size, height / size], dtype=np.float32)
    scaled: NDArray[np.float32] = points * scale
    return scaled


def similarity_to_template(
    landmarks: NDArray[np.float32],
    height: int,
    width: int,
    name: ChipTemplate = "dlib",
    detector: DetectorName = "mtcnn",
) -> NDArray[np.float64]:
    """The 2x3 rotation + uniform scale + translation matrix, least squares over the five
    points (OpenCV), that carries ``landmarks`` onto the template."""
    matrix, _ = cv2.estimateAffinePartial2D(
        landmarks.astype(np.float32), template(height, width, name, detector), method=cv2.LMEDS
    )
    if matrix is None:
        raise ValueError("landmarks are degenerate: no similarity transform fits them")
    result: NDArray[np.float64] = matrix.astype(np.float64)
    return result


def align_face(
    rgb: NDArray[np.uint8], landmarks: NDArray[np.float32], height: int, width: int
) -> NDArray[np.uint8]:
    """The aligned ``height`` x ``width`` RGB face chip; outside the photo repeats its edge."""
    return warp_to_chip(rgb, similarity_to_template(landmarks, height, width), height, width)


def warp_to_chip(
    rgb: NDArray[np.uint8], matrix: NDArray[np.float64], height: int, width: int
) -> NDArray[np.uint8]:
    """Apply a fitted 2x3 transform: the ``height`` x ``width`` chip, edges repeated."""
    chip = cv2.warpAffine(
        rgb, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    return np.asarray(chip, dtype=np.uint8)
