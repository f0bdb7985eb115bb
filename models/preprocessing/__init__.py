"""Image preprocessing, one module per modality, shared by training, evaluation and serving.

Every pipeline turns a decoded PIL image into a ``uint8`` tensor ``(C, H, W)`` (cheap to
cache) and a batch of those into the float tensor the encoder expects.
"""

from models.preprocessing.base import Preprocessor, PreprocessSpec, build_preprocessor
from models.preprocessing.io import decode_image, load_image

__all__ = ["PreprocessSpec", "Preprocessor", "build_preprocessor", "decode_image", "load_image"]
