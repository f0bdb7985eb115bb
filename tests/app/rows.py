"""Database rows the API cannot create yet, built directly for tests."""

import uuid

from app.db.models import Reference


def reference_row(subject_id: uuid.UUID, gallery_id: uuid.UUID, number: int) -> Reference:
    """A 2-d signature reference with a distinct image digest per ``number``."""
    return Reference(
        subject_id=subject_id,
        gallery_id=gallery_id,
        modality="signature",
        model_name="unit",
        model_version="1",
        dimension=2,
        embedding=b"\x00" * 8,
        image_sha256=f"{number:064d}",
        revision=1,
    )
