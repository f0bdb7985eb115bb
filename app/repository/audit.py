"""The audit trail of verify and identify decisions."""

from sqlalchemy.orm import Session

from app.db.models import AuditEvent


def record(session: Session, event: AuditEvent) -> None:
    session.add(event)
    session.flush()
