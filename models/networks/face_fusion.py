"""Two unrelated face networks as one embedding: dlib's ResNet and SFace.

They were trained by different people on different faces with different losses, so their
mistakes are only partly the same ones; a weighted sum of their squared distances errs
less than either. Both embed the same detected face, each on the framing it was trained
on: the input is one canvas holding dlib's 150x150 chip on the left and the ArcFace
112x112 chip on the right (top-aligned; the rest of that column is zero), cut by the face
pipeline from the same five landmarks (``face_template="dlib+arcface"``).

Each branch's embedding is made unit length and scaled by the square root of its weight
(``1 - w`` for dlib, ``w`` for SFace), then the two are concatenated: the result is a unit
vector whose squared Euclidean distance to another is ``(1 - w) d_dlib^2 + w d_sface^2``.
One vector per reference, so storage, exact 1:N search and calibration work unchanged.
dlib's branch averages the face's embedding with its mirror image's (as the dlib model
does; here inside the branch, since flipping the canvas would swap the chips).
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from models.networks.dlib_resnet import INPUT_SIZE as DLIB_SIDE
from models.networks.dlib_resnet import DlibResNet
from models.networks.sface import INPUT_SIZE as SFACE_SIDE
from models.networks.sface import SFaceNet

CANVAS_HEIGHT = DLIB_SIDE
CANVAS_WIDTH = DLIB_SIDE + SFACE_SIDE
BRANCH_SIZE = 128


class FusedFaceNet(nn.Module):
    """``(B, 3, 150, 262)`` canvas in [0, 1] -> ``(B, 256)`` unit-length embeddings."""

    def __init__(self, sface_weight: float) -> None:
        super().__init__()
        if not 0.0 < sface_weight < 1.0:
            raise ValueError("sface_weight must lie strictly between 0 and 1")
        self.dlib = DlibResNet(BRANCH_SIZE, normalize=False)
        self.sface = SFaceNet(BRANCH_SIZE, normalize=True)
        self.dlib_scale = math.sqrt(1.0 - sface_weight)
        self.sface_scale = math.sqrt(sface_weight)

    def forward(self, canvas: torch.Tensor) -> torch.Tensor:
        dlib_chip = canvas[:, :, :DLIB_SIDE, :DLIB_SIDE]
        sface_chip = canvas[:, :, :SFACE_SIDE, DLIB_SIDE : DLIB_SIDE + SFACE_SIDE]
        plain, mirrored = self.dlib(torch.cat([dlib_chip, dlib_chip.flip(-1)])).chunk(2)
        dlib = F.normalize((plain + mirrored) / 2, p=2.0, dim=1)
        sface = self.sface(sface_chip)
        return torch.cat([self.dlib_scale * dlib, self.sface_scale * sface], dim=1)
