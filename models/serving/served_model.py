"""A trained twin network as a service uses it: one object from upload bytes to a decision.

It owns what a served model is: its identity (whose embeddings it can compare), its
preprocessing (with the checks an upload needs), batched embedding on its device, the
comparator's scores (one sign convention: higher is more alike, the same module the
training losses used), the subject score its thresholds were calibrated on, and its
operating points. The service, the command line and the benchmarks all go through it.
"""

import copy
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from models.checkpoint import Checkpoint, CheckpointMetadata, load_checkpoint
from models.embedding import embed_images
from models.errors import CheckpointError, ImageTooSmallError, UploadTooLargeError
from models.evaluation.calibration import OperatingPoint, operating_point_key
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration
from models.hardware import ComputePathChoice
from models.preprocessing import Preprocessor, build_preprocessor, decode_image
from models.preprocessing.face_detection import DetectedFace
from models.preprocessing.face_options import FaceOptions
from models.reference_scoring import scores_given_spread, shrunk_spread
from models.serving.compute_path import ComputePath, choose_compute_path
from models.serving.identity import ModelIdentity
from models.twin import Comparator, TwinNetwork

# Images per forward pass when embedding a large set (bounds peak memory).
EMBED_CHUNK = 64


@dataclass(frozen=True)
class InputLimits:
    """What an upload may be: bytes, declared pixels, shortest side."""

    max_bytes: int
    max_pixels: int
    min_side: int


@dataclass(frozen=True)
class PreparedInput:
    """An upload made ready to embed: ``uint8 (C, H, W)``, the file's SHA-256 and, for a
    face photo, the face embedded and how many faces it showed."""

    tensor: torch.Tensor
    sha256: str
    face: DetectedFace | None = None
    faces_detected: int = 0


class ServedModel:
    """Built by :func:`load_served_model`; safe to share between threads once built (every
    method reads the weights and never changes them)."""

    def __init__(
        self,
        checkpoint: Checkpoint,
        preprocessor: Preprocessor,
        device: torch.device,
        compute_path: ComputePath,
        path: Path | None = None,
    ) -> None:
        meta = checkpoint.metadata
        self.identity = ModelIdentity(meta.modality, meta.name, meta.version)
        self.metadata: CheckpointMetadata = meta
        self.network: TwinNetwork = checkpoint.model
        self.preprocessor = preprocessor
        self.device = device
        self.compute_path = compute_path
        self.path = path
        # Searches run on the CPU next to the in-memory matrices; a copy of the comparator
        # (the learned head has weights) lives there so no matrix travels to the GPU.
        self._cpu_comparator: Comparator = copy.deepcopy(checkpoint.model.comparator).cpu().eval()
        compute_path.prepare(self.network)

    @property
    def modality(self) -> str:
        return self.identity.modality

    @property
    def name(self) -> str:
        return self.identity.name

    @property
    def version(self) -> str:
        return self.identity.version

    @property
    def comparator(self) -> Comparator:
        """The comparator on the model's device (evaluation scores whole sets there)."""
        return self.network.comparator

    # -- inputs ---------------------------------------------------------------------------

    def prepare(
        self, data: bytes, limits: InputLimits, one_subject_only: bool = False
    ) -> PreparedInput:
        """Upload bytes -> the input to embed. Raises an ``ImageError`` whose ``reason``
        names why not (decoded with EXIF orientation, reduced to the modality's working
        resolution as it is decoded, then the modality's pipeline and checks)."""
        if len(data) > limits.max_bytes:
            raise UploadTooLargeError(
                f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,}"
            )
        image = decode_image(
            data, max_pixels=limits.max_pixels, max_side=self.preprocessor.working_side
        )
        if min(image.size) < limits.min_side:
            raise ImageTooSmallError(
                f"the image is {image.width}x{image.height}; "
                f"both sides must be at least {limits.min_side} pixels"
            )
        digest = hashlib.sha256(data).hexdigest()
        prepared = self.preprocessor.prepare_upload(image, one_subject_only)
        return PreparedInput(prepared.tensor, digest, prepared.face, prepared.faces_detected)

    # -- embeddings -----------------------------------------------------------------------

    def embed(self, inputs: torch.Tensor, chunk: int = EMBED_CHUNK) -> torch.Tensor:
        """``uint8 (N, C, H, W) -> float32 (N, D)`` on the CPU, ``chunk`` images per pass."""
        if inputs.shape[0] == 0:
            return torch.empty(0, self.metadata.embedding_size)
        return embed_images(
            self.network, self.preprocessor, inputs, self.device, chunk, self.compute_path.embed
        )

    # -- scores ---------------------------------------------------------------------------

    @torch.inference_mode()
    def scores(self, probe: np.ndarray, references: np.ndarray) -> np.ndarray:
        """``(D,), (N, D) -> (N,)`` similarity of the probe to each reference (CPU, exact)."""
        if references.shape[0] == 0:
            return np.empty(0, dtype=np.float32)
        query = torch.from_numpy(np.ascontiguousarray(probe, dtype=np.float32))[None, :]
        matrix = torch.from_numpy(np.ascontiguousarray(references, dtype=np.float32))
        scores: np.ndarray = self._cpu_comparator.matrix(query, matrix)[0].numpy()
        return scores

    def subject_score(self, scores: np.ndarray, references: np.ndarray) -> float:
        """One subject's score from the probe's ``(k,)`` scores against its ``(k, D)``
        references, by the model's reference scoring (the rule its thresholds were
        calibrated on); the spread comes from :meth:`reference_spreads`, as a gallery
        search's does, so verify and identify give a subject the same score."""
        spread = None
        if self.metadata.reference_scoring.needs_reference_scores:
            spread = float(self.reference_spreads(references[None])[0])
        return float(scores_given_spread(scores, self.metadata.reference_scoring, spread))

    @torch.inference_mode()
    def reference_spreads(self, references: np.ndarray) -> np.ndarray:
        """``(S, k, D)``: S subjects of k references each -> ``(S,)`` their spreads (how
        alike each subject's references are, shrunk as the model's scoring says), in
        k(k-1)/2 batched comparisons rather than one small matrix per subject."""
        stacked = torch.from_numpy(np.ascontiguousarray(references, dtype=np.float32))
        count, k = stacked.shape[0], stacked.shape[1]
        sums = torch.zeros(count, dtype=torch.float64)
        for i in range(k):
            for j in range(i + 1, k):
                sums += self._cpu_comparator(stacked[:, i], stacked[:, j]).double()
        return shrunk_spread(sums.numpy(), k, self.metadata.reference_scoring)

    # -- decisions ------------------------------------------------------------------------

    def operating_point(self, far: float) -> OperatingPoint | None:
        """The calibrated threshold for a target false accept rate, if there is one."""
        return self.metadata.thresholds.get(operating_point_key(far))

    def calibrated_points(self) -> list[OperatingPoint]:
        """The points calibrated at a target FAR (the EER point has none), loosest first."""
        points = [p for p in self.metadata.thresholds.values() if p.target_far]
        return sorted(points, key=lambda point: point.threshold)

    @property
    def likelihood_ratio(self) -> LikelihoodRatioCalibration | None:
        return self.metadata.likelihood_ratio


def load_served_model(
    path: Path,
    device: torch.device,
    face: FaceOptions | None = None,
    compute: ComputePathChoice = "auto",
    modality: str | None = None,
) -> ServedModel:
    """Load a checkpoint for serving; ``modality``, when given, must be the checkpoint's."""
    checkpoint = load_checkpoint(path, device)
    if modality is not None and checkpoint.metadata.modality != modality:
        raise CheckpointError(
            f"{path} is a {checkpoint.metadata.modality} model, configured for {modality}"
        )
    preprocessor = build_preprocessor(checkpoint.metadata.preprocessing, face)
    return ServedModel(checkpoint, preprocessor, device, choose_compute_path(device, compute), path)
