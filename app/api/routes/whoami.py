"""Which gallery a key opens: lets a client check its key."""

import uuid

from fastapi import APIRouter
from pydantic import BaseModel

from app.api.deps import CurrentKeyDep

router = APIRouter(prefix="/v1", tags=["keys"])


class WhoAmI(BaseModel):
    gallery_id: uuid.UUID
    gallery: str
    key_name: str
    key_prefix: str


@router.get("/whoami", summary="Which gallery this key opens")
def whoami(key: CurrentKeyDep) -> WhoAmI:
    return WhoAmI(
        gallery_id=key.gallery_id,
        gallery=key.gallery.name,
        key_name=key.name,
        key_prefix=key.prefix,
    )
