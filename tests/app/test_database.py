"""The schema: Alembic upgrade and downgrade, ORM parity, cascades and constraints."""

import logging
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import Request

from app.core.errors import unexpected_error_response
from app.db import migrate
from app.db.base import Base
from app.db.engine import make_engine, session_factory, transaction
from app.db.models import AuditEvent, Gallery, Reference, Subject
from tests.app.rows import reference_row

TABLES = {
    "galleries",
    "api_keys",
    "subjects",
    "reference_embeddings",
    "reference_removals",
    "audit_events",
}


def migrated_with_gallery(database_url: str) -> tuple[Engine, sessionmaker[Session], uuid.UUID]:
    """A migrated database holding one gallery: its engine, sessions and the gallery's id."""
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        gallery = Gallery(name="g")
        session.add(gallery)
        session.flush()
        return engine, sessions, gallery.id


def test_upgrade_creates_the_schema_and_downgrade_removes_it(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    assert set(inspect(engine).get_table_names()) >= TABLES
    migrate.downgrade(database_url, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(database_url)  # and back up again
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()


def test_migrations_match_the_orm_models(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    assert differences == []


def test_deleting_a_subject_removes_its_references_and_keeps_the_audit_trail(
    database_url: str,
) -> None:
    engine, sessions, gallery_id = migrated_with_gallery(database_url)
    with transaction(sessions) as session:
        subject = Subject(gallery_id=gallery_id, external_id="c-1")
        session.add(subject)
        session.flush()
        session.add_all([reference_row(subject.id, gallery_id, n) for n in (1, 2)])
        session.flush()
        session.add(
            AuditEvent(
                gallery_id=gallery_id,
                action="verify",
                modality="signature",
                subject_id=subject.id,
                score=0.9,
                threshold=0.5,
                decision=True,
                model_name="unit",
                model_version="1",
            )
        )
        subject_id = subject.id
    with transaction(sessions) as session:
        sequences = session.scalars(select(Reference.sequence).order_by(Reference.sequence)).all()
        assert len(sequences) == 2
        assert sequences[0] < sequences[1]  # insertion order
        session.execute(Subject.__table__.delete().where(Subject.id == subject_id))
    with transaction(sessions) as session:
        assert session.scalars(select(Reference)).all() == []  # ON DELETE CASCADE in the database
        session.execute(Gallery.__table__.delete().where(Gallery.id == gallery_id))
    with transaction(sessions) as session:
        events = session.scalars(select(AuditEvent)).all()
        assert [(e.subject_id, e.decision) for e in events] == [(subject_id, True)]
    engine.dispose()


def test_external_ids_are_unique_per_gallery_only(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    with transaction(sessions) as session:
        first, second = Gallery(name="a"), Gallery(name="b")
        session.add_all([first, second])
        session.flush()
        session.add_all(
            [
                Subject(gallery_id=first.id, external_id="x"),
                Subject(gallery_id=second.id, external_id="x"),
            ]
        )
        first_id = first.id
    with pytest.raises(IntegrityError), transaction(sessions) as session:
        session.add(Subject(gallery_id=first_id, external_id="x"))
    with transaction(sessions) as session:
        assert len(session.scalars(select(Subject)).all()) == 2
        assert session.get(Gallery, first_id) is not None
        assert session.get(Gallery, uuid.uuid4()) is None
    engine.dispose()


@pytest.mark.anyio
async def test_a_database_error_is_logged_without_personal_data(
    database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A server error's log names the statement, never the values: neither the bound
    parameters nor the row values PostgreSQL quotes in its own message."""
    engine, sessions, gallery_id = migrated_with_gallery(database_url)
    with transaction(sessions) as session:
        session.add(Subject(gallery_id=gallery_id, external_id="Ada Lovelace 1815"))
    with pytest.raises(IntegrityError) as raised, transaction(sessions) as session:
        session.add(Subject(gallery_id=gallery_id, external_id="Ada Lovelace 1815"))
    assert "SQL parameters hidden" in str(raised.value)
    request = Request({"type": "http", "method": "POST", "path": "/v1/subjects", "headers": []})
    with caplog.at_level(logging.ERROR):
        response = await unexpected_error_response(request, raised.value)
    assert response.status_code == 500
    assert "INSERT INTO subjects" in caplog.text
    assert "IntegrityError" in caplog.text or "UniqueViolation" in caplog.text
    assert "Ada Lovelace" not in caplog.text
    assert b"Ada" not in bytes(response.body)
    engine.dispose()


def test_timestamps_read_back_aware_in_utc(database_url: str) -> None:
    """SQLite has no time zone type: its timestamps read back naive unless the column
    type restores UTC, and then an API response lost its 'Z'."""
    engine, sessions, gallery_id = migrated_with_gallery(database_url)
    with transaction(sessions) as session:
        created = Subject(gallery_id=gallery_id, external_id="x")
        session.add(created)
        session.flush()
        written = created.created_at
    with sessions() as session:
        stored = session.scalars(select(Subject).where(Subject.id == created.id)).one()
        assert stored.created_at.utcoffset() is not None
        assert stored.created_at.utcoffset().total_seconds() == 0
        assert stored.created_at == written
    engine.dispose()
