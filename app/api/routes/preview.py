"""POST /v1/preview: what the model would see of an image, without storing or deciding.

The demo page (and anyone debugging a rejection) shows it next to a decision: the
normalised ink crop of a signature, the aligned face chip of a face photo with the box and
landmarks found in the upload. Nothing is embedded, stored or audited.
"""

import base64
import io
from typing import Annotated

import numpy as np
from fastapi import APIRouter, File, UploadFile
from PIL import Image
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from app.api.forms import ModalityForm
from app.api.schemas import FaceOut, ModelRef, face_out, model_ref
from app.api.uploads import read_upload
from models.serving import PreparedInput

router = APIRouter(prefix="/v1", tags=["preview"])


class PreviewOut(BaseModel):
    modality: str
    model: ModelRef
    sha256: str = Field(description="the upload's SHA-256, as enrol and verify report it")
    model_input: str = Field(
        description="the model's input as a PNG data URL (signature: the normalised ink "
        "crop; face: the aligned face chip or chips)"
    )
    width: int
    height: int
    face: FaceOut | None = Field(description="face modality: the face chosen in the upload")


@router.post("/preview", summary="What the model sees of an image")
def preview(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    image: Annotated[UploadFile, File(description="the image to prepare")],
) -> PreviewOut:
    """Prepare ``image`` exactly as enrol, verify and identify would (the same rejections
    with the same problem types) and return the model's input as a picture."""
    del key  # authenticated; a preview touches no gallery
    service = runtime.service(modality)
    model = service.model
    data = read_upload(image, runtime.settings.max_upload_bytes)
    (result,) = service.prepare_probes(data)
    picture = input_picture(result)
    return PreviewOut(
        modality=modality,
        model=model_ref(model),
        sha256=result.sha256,
        model_input="data:image/png;base64," + base64.b64encode(picture).decode("ascii"),
        width=int(result.tensor.shape[-1]),
        height=int(result.tensor.shape[-2]),
        face=face_out(result),
    )


def input_picture(prepared: PreparedInput) -> bytes:
    """``uint8 (C, H, W)`` -> PNG (grey for one channel, RGB for three)."""
    pixels = prepared.tensor.numpy()
    array = pixels[0] if pixels.shape[0] == 1 else np.transpose(pixels, (1, 2, 0))
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()
