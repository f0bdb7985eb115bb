"""Creating galleries and keys, resolving a presented key, and the first-start default."""

import logging
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core.errors import (
    GalleryExistsError,
    GalleryNotFoundError,
    InvalidApiKeyError,
    KeyNotFoundError,
)
from app.core.security import VISIBLE_CHARACTERS, key_digest, new_api_key
from app.db.engine import transaction
from app.db.models import ApiKey, Gallery
from app.repository import galleries as repository

logger = logging.getLogger(__name__)

DEFAULT_GALLERY = "default"
DEFAULT_KEY_FILE = "default-api-key"


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``secret`` exists only here, the database keeps its digest."""

    key: ApiKey
    secret: str


def create_gallery(session: Session, name: str) -> Gallery:
    if repository.find_gallery_by_name(session, name) is not None:
        raise GalleryExistsError(f"a gallery named {name!r} already exists")
    return repository.add_gallery(session, name)


def list_galleries(session: Session) -> list[Gallery]:
    return repository.list_galleries(session)


def revoke_key(session: Session, key_id: uuid.UUID) -> ApiKey:
    key = repository.revoke_key(session, key_id)
    if key is None:
        raise KeyNotFoundError(f"no API key {key_id}")
    return key


def issue_key(session: Session, gallery_id: uuid.UUID, name: str) -> IssuedKey:
    gallery = repository.find_gallery(session, gallery_id)
    if gallery is None:
        raise GalleryNotFoundError(f"no gallery {gallery_id}")
    secret = new_api_key()
    key = repository.add_key(
        session, gallery, name, secret[:VISIBLE_CHARACTERS], key_digest(secret)
    )
    return IssuedKey(key, secret)


def authenticate(session: Session, secret: str) -> ApiKey:
    """The active key matching ``secret``; unknown and revoked keys are refused alike."""
    key = repository.find_active_key(session, key_digest(secret))
    if key is None:
        raise InvalidApiKeyError("the API key is unknown or revoked")
    return key


def bootstrap_default_gallery(sessions: sessionmaker[Session], data_dir: Path) -> str | None:
    """On a database without galleries, create ``default`` and a key for it.

    The key is returned (to be printed once) and written to ``data_dir/default-api-key``,
    readable by the owner only, so the quick start needs no extra step.
    """
    try:
        with transaction(sessions) as session:
            if repository.count_galleries(session) > 0:
                return None
            gallery = repository.add_gallery(session, DEFAULT_GALLERY)
            issued = issue_key(session, gallery.id, "default")
    except IntegrityError:  # another replica, starting at the same moment, made it first
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / DEFAULT_KEY_FILE
    path.write_text(issued.secret + "\n", encoding="utf-8")
    os.chmod(path, 0o600)
    return issued.secret
