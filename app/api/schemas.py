"""Response pieces shared by the verification endpoints."""

import uuid

from pydantic import BaseModel, Field

from app.db.models import Subject
from app.services.thresholds import DecisionRule
from models.preprocessing.face_detection import LANDMARK_NAMES
from models.serving import PreparedInput, ServedModel


class ModelRef(BaseModel):
    name: str
    version: str


class SubjectRef(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str | None


class DecisionRuleOut(BaseModel):
    threshold: float = Field(description="match = score >= threshold")
    far: float | None = Field(description="target false accept rate; null for a given threshold")
    operating_point: str | None
    calibration_reliable: bool | None = Field(
        description="false when calibration had too few impostor pairs to observe this FAR"
    )


class FaceBox(BaseModel):
    x: int
    y: int
    width: int
    height: int


class FaceOut(BaseModel):
    """The face that was embedded, in the uploaded photo's pixels (EXIF orientation
    applied)."""

    box: FaceBox
    landmarks: dict[str, tuple[float, float]] = Field(
        description="(x, y) of left_eye, right_eye, nose, mouth_left, mouth_right "
        "(left = the photo's left)"
    )
    detection_score: float = Field(description="the detector's confidence, 0 to 1")
    faces_detected: int = Field(description="faces found in the photo; the chosen one is this")


def face_out(image: PreparedInput | None) -> FaceOut | None:
    """What the face pipeline found in an image; ``None`` for other modalities."""
    if image is None or image.face is None:
        return None
    x, y, width, height = image.face.box
    return FaceOut(
        box=FaceBox(x=x, y=y, width=width, height=height),
        landmarks={
            name: (round(float(px), 1), round(float(py), 1))
            for name, (px, py) in zip(LANDMARK_NAMES, image.face.landmarks, strict=True)
        },
        detection_score=round(image.face.score, 4),
        faces_detected=image.faces_detected,
    )


def model_ref(model: ServedModel) -> ModelRef:
    return ModelRef(name=model.name, version=model.version)


def subject_ref(subject: Subject) -> SubjectRef:
    return SubjectRef(id=subject.id, external_id=subject.external_id, name=subject.name)


def rule_out(rule: DecisionRule) -> DecisionRuleOut:
    return DecisionRuleOut(
        threshold=rule.threshold,
        far=rule.far,
        operating_point=rule.operating_point,
        calibration_reliable=rule.reliable,
    )
