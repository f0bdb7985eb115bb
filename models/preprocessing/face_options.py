"""The face pipeline's deployment options: chosen per service, not stored in checkpoints."""

from dataclasses import dataclass
from typing import Literal

FaceSelection = Literal["prominent", "largest", "central"]
# The network that finds faces and landmarks (models/preprocessing/face_detection.py).
DetectorName = Literal["mtcnn", "yunet"]
DEFAULT_MIN_FACE_SIZE = 40


@dataclass(frozen=True)
class FaceOptions:
    """``min_face_size``: smaller faces (box side, pixels) are not detected; they hold too
    little detail to verify. ``selection``: which face of several is the subject:
    ``prominent`` (the default: large, confidently detected and near the centre, see
    ``models/preprocessing/face_selection.py``), the ``largest``, or the one nearest the
    photo's centre (``central``: how datasets such as LFW label their photos).
    """

    min_face_size: int = DEFAULT_MIN_FACE_SIZE
    selection: FaceSelection = "prominent"
    # Which network finds the faces and their landmarks (see face_detection.py).
    detector: DetectorName = "mtcnn"
