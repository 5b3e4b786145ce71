"""Drawings labelled by their writers: the class's own handwriting.

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drawings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("nickname", sa.String(40), nullable=False, server_default=""),
        sa.Column("label", sa.SmallInteger, nullable=False),
        sa.Column("image", sa.LargeBinary, nullable=False),
        sa.Column("strokes", sa.Text, nullable=True),
        sa.Column("created", sa.Float, nullable=False),
    )
    op.create_index("ix_drawings_workspace_id", "drawings", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_drawings_workspace_id", "drawings")
    op.drop_table("drawings")
