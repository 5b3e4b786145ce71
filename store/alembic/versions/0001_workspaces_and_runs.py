"""The first schema: workspaces and their runs.

Revision ID: 0001
Revises:
"""
from alembic import op
import sqlalchemy as sa

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "workspaces",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("settings", sa.Text, nullable=True),
        sa.Column("drawing", sa.Text, nullable=True),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("config", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("curves", sa.Text, nullable=False, server_default="{}"),
        sa.Column("test_accuracy", sa.Float, nullable=True),
        sa.Column("test_loss", sa.Float, nullable=True),
        sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
        sa.Column("epochs", sa.Float, nullable=False, server_default="0"),
        sa.Column("model", sa.LargeBinary, nullable=True),
        sa.Column("bytes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("owner", sa.String(120), nullable=False, server_default=""),
        sa.Column("created", sa.Float, nullable=False),
        sa.Column("updated", sa.Float, nullable=False),
    )
    op.create_index("ix_runs_workspace_id", "runs", ["workspace_id"])


def downgrade() -> None:
    op.drop_index("ix_runs_workspace_id", "runs")
    op.drop_table("runs")
    op.drop_table("workspaces")
