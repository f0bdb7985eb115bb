"""gallery revisions and reference removals, for search matrices shared by several processes

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("galleries") as batch:
        batch.add_column(sa.Column("revision", BIG_ID, server_default="0", nullable=False))
    # References that exist already belong to revision 1 of their gallery.
    op.execute(
        "UPDATE galleries SET revision = 1 WHERE id IN "
        "(SELECT DISTINCT gallery_id FROM reference_embeddings)"
    )
    with op.batch_alter_table("reference_embeddings") as batch:
        batch.add_column(sa.Column("revision", BIG_ID, server_default="1", nullable=False))
    with op.batch_alter_table("reference_embeddings") as batch:
        batch.alter_column("revision", server_default=None)
    op.create_index(
        "ix_reference_embeddings_gallery_revision",
        "reference_embeddings",
        ["gallery_id", "revision"],
    )
    op.create_table(
        "reference_removals",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("gallery_id", sa.Uuid(), nullable=False),
        sa.Column("reference_id", sa.Uuid(), nullable=False),
        sa.Column("revision", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reference_removals")),
    )
    op.create_index(
        "ix_reference_removals_gallery_revision", "reference_removals", ["gallery_id", "revision"]
    )


def downgrade() -> None:
    op.drop_index("ix_reference_removals_gallery_revision", table_name="reference_removals")
    op.drop_table("reference_removals")
    op.drop_index("ix_reference_embeddings_gallery_revision", table_name="reference_embeddings")
    with op.batch_alter_table("reference_embeddings") as batch:
        batch.drop_column("revision")
    with op.batch_alter_table("galleries") as batch:
        batch.drop_column("revision")
