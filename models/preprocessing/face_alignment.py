"""Face alignment: a similarity transform from five detected landmarks to a template.

The template places MTCNN's five points where they fall on dlib's 150x150 face chips
(``get_face_chip``, padding 0.25): the framing dlib's face-recognition network was trained
on. It was measured as the mean MTCNN landmark position on 298 dlib chips of LFW images
(``python -m bench.face_template``; standard deviation 1.8-2.3 px for the eyes, 4-6 px
for the nose and mouth). Other output sizes scale it.
"""

import cv2
import numpy as np
from numpy.typing import NDArray

TEMPLATE_SIZE = 150
# left eye, right eye, nose, mouth left, mouth right; (x, y) on a 150x150 chip.
TEMPLATE_150: NDArray[np.float32] = np.array(
    [[49.77, 47.63], [104.48, 47.98], [76.88, 79.83], [52.97, 107.32], [100.17, 107.65]],
    dtype=np.float32,
)


def template(height: int, width: int) -> NDArray[np.float32]:
    """The landmark template for a ``height`` x ``width`` output."""
    scale = np.array([width / TEMPLATE_SIZE, height / TEMPLATE_SIZE], dtype=np.float32)
    points: NDArray[np.float32] = TEMPLATE_150 * scale
    return points


def similarity_to_template(
    landmarks: NDArray[np.float32], height: int, width: int
) -> NDArray[np.float64]:
    """The 2x3 rotation + uniform scale + translation matrix, least squares over the five
    points (OpenCV), that carries ``landmarks`` onto the template."""
    matrix, _ = cv2.estimateAffinePartial2D(
        landmarks.astype(np.float32), template(height, width), method=cv2.LMEDS
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
