"""Galleries and their API keys."""

import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from app.db.models import ApiKey, Gallery


def count_galleries(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Gallery)) or 0


def find_gallery(session: Session, gallery_id: uuid.UUID) -> Gallery | None:
    return session.get(Gallery, gallery_id)


def find_gallery_by_name(session: Session, name: str) -> Gallery | None:
    return session.scalar(select(Gallery).where(Gallery.name == name))


def list_galleries(session: Session) -> list[Gallery]:
    return list(session.scalars(select(Gallery).order_by(Gallery.created_at, Gallery.name)))


def add_gallery(session: Session, name: str) -> Gallery:
    gallery = Gallery(name=name)
    session.add(gallery)
    session.flush()
    return gallery


def add_key(session: Session, gallery: Gallery, name: str, prefix: str, digest: str) -> ApiKey:
    key = ApiKey(gallery_id=gallery.id, name=name, prefix=prefix, key_sha256=digest)
    session.add(key)
    session.flush()
    return key


def find_active_key(session: Session, digest: str) -> ApiKey | None:
    return session.scalar(
        select(ApiKey)
        .options(joinedload(ApiKey.gallery))  # callers use it after the session closes
        .where(ApiKey.key_sha256 == digest, ApiKey.revoked_at.is_(None))
    )


def revoke_key(session: Session, key_id: uuid.UUID) -> ApiKey | None:
    key = session.get(ApiKey, key_id)
    if key is not None and key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
    return key
