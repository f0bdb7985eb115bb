"""Galleries and their keys, for the holder of the admin key."""

import uuid
from datetime import datetime

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from app.api.deps import AdminDep, SessionDep
from app.api.text import StoredText
from app.services import galleries as service
from app.services.audit import record_action

router = APIRouter(prefix="/v1/admin", tags=["admin"])


class GalleryIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$")


class GalleryOut(BaseModel):
    id: uuid.UUID
    name: str
    created_at: datetime


class KeyIn(BaseModel):
    name: StoredText = Field(min_length=1, max_length=100)


class KeyOut(BaseModel):
    id: uuid.UUID
    gallery_id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


class IssuedKeyOut(KeyOut):
    key: str = Field(description="shown once; only its digest is stored")


def _gallery_out(gallery: object) -> GalleryOut:
    return GalleryOut.model_validate(gallery, from_attributes=True)


@router.post("/galleries", status_code=status.HTTP_201_CREATED, summary="Create a gallery (admin)")
def create_gallery(body: GalleryIn, session: SessionDep, _: AdminDep) -> GalleryOut:
    gallery = service.create_gallery(session, body.name)
    record_action(session, "gallery.create", None, gallery.id, details={"name": body.name})
    return _gallery_out(gallery)


@router.get("/galleries", summary="List galleries (admin)")
def list_galleries(session: SessionDep, _: AdminDep) -> list[GalleryOut]:
    return [_gallery_out(gallery) for gallery in service.list_galleries(session)]


@router.post(
    "/galleries/{gallery_id}/keys",
    status_code=status.HTTP_201_CREATED,
    summary="Issue an API key for a gallery (admin)",
)
def issue_key(gallery_id: uuid.UUID, body: KeyIn, session: SessionDep, _: AdminDep) -> IssuedKeyOut:
    issued = service.issue_key(session, gallery_id, body.name)
    record_action(
        session,
        "key.create",
        None,
        gallery_id,
        details={"key": str(issued.key.id), "name": body.name},
    )
    out = KeyOut.model_validate(issued.key, from_attributes=True)
    return IssuedKeyOut(**out.model_dump(), key=issued.secret)


@router.delete("/keys/{key_id}", summary="Revoke an API key (admin)")
def revoke_key(key_id: uuid.UUID, session: SessionDep, _: AdminDep) -> KeyOut:
    revoked = service.revoke_key(session, key_id)
    record_action(session, "key.revoke", None, revoked.gallery_id, details={"key": str(key_id)})
    return KeyOut.model_validate(revoked, from_attributes=True)
