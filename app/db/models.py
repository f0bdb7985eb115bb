"""The tables: galleries, their API keys, subjects, reference embeddings and the audit trail.

Embeddings are stored as raw little-endian float32 bytes with their dimension; the model
name and version travel with every row so vectors of different models never mix.
"""

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db.base import Base
from app.db.utc_datetime import UtcDateTime

# 64-bit on PostgreSQL; SQLite only auto-increments an INTEGER PRIMARY KEY (also 64-bit).
_BIG_ID = BigInteger().with_variant(Integer, "sqlite")


def _now() -> datetime:
    return datetime.now(UTC)


class Gallery(Base):
    """An isolated set of subjects; every API key belongs to exactly one."""

    __tablename__ = "galleries"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    # Bumped (under the row lock) by every transaction that adds or removes references, so
    # revisions commit in order: a process that has applied revision r knows exactly which
    # rows and removals it has not seen yet.
    revision: Mapped[int] = mapped_column(_BIG_ID, default=0, server_default="0")

    keys: Mapped[list["ApiKey"]] = relationship(
        back_populates="gallery", cascade="all, delete-orphan"
    )


class ApiKey(Base):
    """A gallery's key, stored as a SHA-256 digest (keys are random 256-bit tokens, so a
    fast hash is enough; the plain key is shown once, at creation)."""

    __tablename__ = "api_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    gallery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("galleries.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(12), doc="first characters, to tell keys apart")
    key_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    gallery: Mapped[Gallery] = relationship(back_populates="keys")


class Subject(Base):
    """A person or signer enrolled in a gallery."""

    __tablename__ = "subjects"
    __table_args__ = (UniqueConstraint("gallery_id", "external_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    gallery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("galleries.id", ondelete="CASCADE"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(200))
    attributes: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now, onupdate=_now)

    references: Mapped[list["Reference"]] = relationship(
        back_populates="subject", cascade="all, delete-orphan", passive_deletes=True
    )


class Reference(Base):
    """One enrolled image's embedding (never the image itself)."""

    __tablename__ = "reference_embeddings"
    __table_args__ = (
        Index(
            "ix_reference_embeddings_search",
            "gallery_id",
            "modality",
            "model_name",
            "model_version",
        ),
        Index("ix_reference_embeddings_gallery_revision", "gallery_id", "revision"),
    )

    # Insertion order across processes: replicas catch up on rows past the last one they saw.
    sequence: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    id: Mapped[uuid.UUID] = mapped_column(Uuid, unique=True, default=uuid.uuid4)
    subject_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("subjects.id", ondelete="CASCADE"), index=True
    )
    gallery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("galleries.id", ondelete="CASCADE"))
    modality: Mapped[str] = mapped_column(String(20))
    model_name: Mapped[str] = mapped_column(String(100))
    model_version: Mapped[str] = mapped_column(String(50))
    dimension: Mapped[int] = mapped_column(Integer)
    embedding: Mapped[bytes] = mapped_column(
        LargeBinary, doc="float32, little-endian, `dimension` values"
    )
    quality: Mapped[float | None] = mapped_column(Float)
    image_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now)
    revision: Mapped[int] = mapped_column(_BIG_ID, doc="the gallery revision that added it")

    subject: Mapped[Subject] = relationship(back_populates="references")


class ReferenceRemoval(Base):
    """A removed reference (its row is really gone): lets every process drop it from its
    in-memory search matrix."""

    __tablename__ = "reference_removals"
    __table_args__ = (Index("ix_reference_removals_gallery_revision", "gallery_id", "revision"),)

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    # No foreign keys: the gallery may go too; the removal record stays harmless.
    gallery_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    reference_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    revision: Mapped[int] = mapped_column(_BIG_ID)


class AuditEvent(Base):
    """One security-relevant action: who did what, to what, with what result. Never an image
    or a secret. Decisions (verify, identify) fill the decision columns; enrolments,
    deletions, gallery and key management and failed authentications leave them empty (a
    failed authentication has no gallery either)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=_now, index=True)
    # Plain columns, not foreign keys: the trail outlives the galleries, keys and subjects
    # it mentions.
    gallery_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    api_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    action: Mapped[str] = mapped_column(String(40), index=True)
    modality: Mapped[str | None] = mapped_column(String(20))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    score: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    decision: Mapped[bool | None] = mapped_column(Boolean)
    model_name: Mapped[str | None] = mapped_column(String(100))
    model_version: Mapped[str | None] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
