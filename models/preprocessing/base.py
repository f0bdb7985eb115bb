"""The preprocessing spec stored in checkpoints and the factory that rebuilds a pipeline."""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import torch
from PIL import Image
from pydantic import BaseModel, ConfigDict, Field, model_validator

from models.preprocessing.face_options import FaceOptions

if TYPE_CHECKING:
    from models.preprocessing.face_detection import DetectedFace

PreprocessName = Literal["signature", "face", "grey", "rgb"]


class PreprocessSpec(BaseModel):
    """Everything needed to reproduce an encoder's input from an image file.

    Stored verbatim in every checkpoint, so serving uses exactly the training pipeline.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: PreprocessName
    height: int = Field(gt=0, le=1024)
    width: int = Field(gt=0, le=1024)
    mean: float = Field(default=0.0, description="subtracted after scaling pixels to [0, 1]")
    std: float = Field(default=1.0, gt=0.0)
    face_template: Literal["dlib", "arcface", "dlib+arcface"] = Field(
        default="dlib",
        description="face: where the five landmarks go on the chip: dlib's chip framing "
        "(dlib's network), the ArcFace template (networks trained on it, e.g. SFace), or "
        "both chips side by side on one 150x262 canvas (the two-network fusion)",
    )
    binarize: bool = Field(
        default=False,
        description="signature: ink black and paper white before fitting, so grey scans and "
        "binary ones (pen, scanner and dataset alike) reach the network the same way",
    )

    @model_validator(mode="after")
    def _binarize_only_signatures(self) -> "PreprocessSpec":
        if self.binarize and self.name != "signature":
            raise ValueError("binarize applies to the signature pipeline only")
        if self.face_template != "dlib" and self.name != "face":
            raise ValueError("face_template applies to the face pipeline only")
        if self.face_template == "dlib+arcface" and (self.height, self.width) != (150, 262):
            raise ValueError("the dlib+arcface canvas is 150x262 (dlib's chip, then ArcFace's)")
        return self

    @property
    def channels(self) -> int:
        return 3 if self.name in ("face", "rgb") else 1


@dataclass(frozen=True)
class PreparedImage:
    """What :meth:`Preprocessor.prepare_upload` made of one upload: the ``uint8 (C, H, W)``
    input and, for a face photo, the face embedded and how many faces it showed."""

    tensor: torch.Tensor
    face: "DetectedFace | None" = None
    faces_detected: int = 0


class Preprocessor(Protocol):
    """A modality's pipeline: ``prepare`` per image, ``to_input`` per batch."""

    spec: PreprocessSpec
    # The longest side an input is reduced to as it is decoded (``decode_image(max_side=)``):
    # the modality's pixel budget, ample for what its pipeline keeps.
    working_side: int

    def prepare(self, image: Image.Image) -> torch.Tensor:
        """PIL image -> ``uint8`` tensor ``(C, H, W)``; raises ``ImageError`` on unusable input."""
        ...

    def prepare_upload(self, image: Image.Image, one_subject_only: bool) -> PreparedImage:
        """``prepare`` for an image a caller sent, which may be anything: with the checks a
        dataset of the modality needs not (a photograph sent as a signature), and what it
        found. ``one_subject_only``: refuse an image whose subject would be a guess
        (a face photo showing two people)."""
        ...

    def to_input(self, batch: torch.Tensor) -> torch.Tensor:
        """``uint8`` ``(B, C, H, W)`` -> normalised ``float32`` ``(B, C, H, W)``."""
        ...


class NormalisingPreprocessor:
    """Shared batch normalisation; subclasses implement ``prepare``."""

    working_side = 1024

    def __init__(self, spec: PreprocessSpec) -> None:
        self.spec = spec

    def prepare(self, image: Image.Image) -> torch.Tensor:
        raise NotImplementedError

    def prepare_upload(self, image: Image.Image, one_subject_only: bool) -> PreparedImage:
        return PreparedImage(self.prepare(image))

    def to_input(self, batch: torch.Tensor) -> torch.Tensor:
        scaled = batch.to(torch.float32) / 255.0
        return (scaled - self.spec.mean) / self.spec.std


def build_preprocessor(spec: PreprocessSpec, face: FaceOptions | None = None) -> Preprocessor:
    """Rebuild the pipeline a spec names (imports kept local: each module is self-contained);
    ``face`` sets the face pipeline's deployment options (smallest face, which face)."""
    if spec.name == "signature":
        from models.preprocessing.signature import SignaturePreprocessor

        return SignaturePreprocessor(spec)
    if spec.name == "face":
        from models.preprocessing.face import FacePreprocessor

        return FacePreprocessor(spec, face)
    from models.preprocessing.plain import PlainPreprocessor

    return PlainPreprocessor(spec)
