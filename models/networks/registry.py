"""Architecture names -> encoder constructors; the spec is what a checkpoint records."""

from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator
from torch import nn

from models.networks.dlib_resnet import DlibResNet
from models.networks.face_fusion import BRANCH_SIZE, FusedFaceNet
from models.networks.projection_head import ProjectionHead
from models.networks.resnet_encoder import ResNetEncoder
from models.networks.sface import SFaceNet
from models.networks.signature_cnn import SignatureCNN
from models.networks.tiny_cnn import TinyCNN

ArchitectureName = Literal[
    "tiny_cnn", "signature_cnn", "resnet", "dlib_resnet", "sface", "face_fusion"
]


class EncoderSpec(BaseModel):
    """An encoder's architecture and arguments: enough to rebuild it with no other input."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ArchitectureName
    embedding_size: int = Field(default=128, gt=0, le=4096)
    in_channels: int = Field(default=1, ge=1, le=4)
    normalize: bool = Field(default=True, description="L2-normalise embeddings")
    width: int = Field(
        default=32, gt=0, le=512, description="base channel count (CNNs; resnet keeps its own)"
    )
    depth: Literal[18, 34, 50] = Field(default=18, description="resnet only")
    mirror_average: bool = Field(
        default=False,
        description="inference embeds each image and its mirror image and averages the two "
        "(for left-right symmetric subjects: faces)",
    )
    pooling: Literal["average", "grid", "local"] = Field(
        default="average",
        description="signature_cnn only: average the last feature map over the canvas, or "
        "over each cell of a 2x3 grid (keeps where on the canvas each feature lies), or "
        "describe each cell of a 3x4 grid on its own, unit length (compared part by part)",
    )
    sface_weight: float = Field(
        default=0.5,
        gt=0.0,
        lt=1.0,
        description="face_fusion only: SFace's share of the squared distance (dlib's is the rest)",
    )
    projection_size: int | None = Field(
        default=None,
        gt=0,
        le=4096,
        description="train-time projection head on top of the embedding, discarded after "
        "training: losses see the projection, verification uses the embedding",
    )

    @model_validator(mode="after")
    def _fits_architecture(self) -> Self:
        if self.name == "tiny_cnn" and self.embedding_size % 16:
            raise ValueError("tiny_cnn keeps a 4x4 grid: embedding_size must be a multiple of 16")
        if self.pooling == "local" and self.embedding_size % 12:
            raise ValueError(
                "local pooling keeps 3x4 cells: embedding_size must be a multiple of 12"
            )
        if self.name in ("dlib_resnet", "sface", "face_fusion") and self.in_channels != 3:
            raise ValueError(f"{self.name} reads RGB faces: in_channels must be 3")
        if self.name == "face_fusion" and (
            self.embedding_size != 2 * BRANCH_SIZE or self.mirror_average
        ):
            raise ValueError(
                f"face_fusion embeds {2 * BRANCH_SIZE} values and mirrors inside its dlib "
                "branch: embedding_size must be 256 and mirror_average off"
            )
        return self


def build_projection(spec: EncoderSpec) -> nn.Module | None:
    """The train-time projection head, if the spec asks for one.

    Metric losses squeeze the layer they act on into tight per-identity clusters, which
    throws away what separates identities never seen in training. Applying the loss to a
    small MLP on top of the embedding, and verifying with the embedding itself, keeps that
    information (the projection-head effect of Chen et al., SimCLR, 2020).
    """
    if spec.projection_size is None:
        return None
    return ProjectionHead(spec.embedding_size, spec.projection_size, spec.normalize)


def build_encoder(spec: EncoderSpec) -> nn.Module:
    """Instantiate the encoder a spec describes, randomly initialised."""
    if spec.name == "tiny_cnn":
        return TinyCNN(spec.in_channels, spec.embedding_size, spec.normalize, spec.width)
    if spec.name == "signature_cnn":
        return SignatureCNN(
            spec.in_channels, spec.embedding_size, spec.normalize, spec.width, spec.pooling
        )
    if spec.name == "dlib_resnet":
        return DlibResNet(spec.embedding_size, spec.normalize)
    if spec.name == "sface":
        return SFaceNet(spec.embedding_size, spec.normalize)
    if spec.name == "face_fusion":
        return FusedFaceNet(spec.sface_weight)
    return ResNetEncoder(spec.in_channels, spec.embedding_size, spec.normalize, spec.depth)
