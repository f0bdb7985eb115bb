"""the audit trail records every security-relevant action, not only decisions

Enrolments, deletions, galleries and keys, and failed authentications join verify and
identify: their rows have no modality, threshold or decision (and a failed authentication
no gallery), so those columns become nullable; actions are named up to 40 characters and
indexed for the admin query.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPTIONAL = {
    "gallery_id": sa.Uuid(),
    "modality": sa.String(length=20),
    "threshold": sa.Float(),
    "decision": sa.Boolean(),
    "model_name": sa.String(length=100),
    "model_version": sa.String(length=50),
}


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        for name, kind in _OPTIONAL.items():
            batch.alter_column(name, existing_type=kind, nullable=True)
        batch.alter_column("action", existing_type=sa.String(length=20), type_=sa.String(length=40))
        batch.create_index(batch.f("ix_audit_events_action"), ["action"], unique=False)


def downgrade() -> None:
    # The older schema holds decisions only: every other event goes.
    op.execute("DELETE FROM audit_events WHERE action NOT IN ('verify', 'identify')")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index(batch.f("ix_audit_events_action"))
        batch.alter_column("action", existing_type=sa.String(length=40), type_=sa.String(length=20))
        for name, kind in _OPTIONAL.items():
            batch.alter_column(name, existing_type=kind, nullable=False)
