"""Form fields shared by enroll, verify and identify (multipart, so images travel as files)."""

import uuid
from typing import Annotated, Literal

from fastapi import Form
from pydantic import StringConstraints

from app.api.text import StoredText
from app.core.errors import InvalidRequestError
from app.services.enrollment import SubjectChoice
from app.services.thresholds import Threshold

ModalityForm = Annotated[
    Literal["face", "signature"], Form(description="face or signature", examples=["signature"])
]
SubjectIdForm = Annotated[
    uuid.UUID | None,
    Form(description="the subject, by id", examples=["6dbc9c4e-6a4e-4281-8d8e-75dc07d17ba7"]),
]
# A subject's external id, wherever a form names one.
ExternalId = Annotated[StoredText, StringConstraints(min_length=1, max_length=200)]
ExternalIdForm = Annotated[
    ExternalId | None, Form(description="the subject, by external id", examples=["client-42"])
]
NameForm = Annotated[
    StoredText | None, Form(max_length=200, description="name, on create", examples=["A. Client"])
]
FarForm = Annotated[
    float | None,
    Form(
        gt=0,
        lt=1,
        description="a calibrated operating point of the model, e.g. 1e-3",
        examples=[0.001],
    ),
]
ThresholdForm = Annotated[
    float | None,
    Form(
        allow_inf_nan=False,  # nan decides nothing and +-inf is not a JSON number
        description="an explicit (finite) threshold on the score, instead of far",
        examples=[-0.11],
    ),
]


def subject_choice(
    subject_id: uuid.UUID | None,
    external_id: str | None,
    create: bool = False,
    name: str | None = None,
) -> SubjectChoice:
    if (subject_id is None) == (external_id is None):
        raise InvalidRequestError("send exactly one of subject_id and external_id")
    if create and external_id is None:
        raise InvalidRequestError("create=true needs an external_id to create")
    return SubjectChoice(subject_id, external_id, create, name)


def threshold_choice(far: float | None, threshold: float | None) -> Threshold:
    if far is not None and threshold is not None:
        raise InvalidRequestError("send either far or threshold, not both")
    return Threshold(far=far, value=threshold)
