"""A class may fix which settings its students change for an exercise ("everyone varies only the learning rate").

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("classes") as batch:  # SQLite rebuilds the table; PostgreSQL alters it
        batch.add_column(sa.Column("allowed_settings", sa.Text, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("classes") as batch:
        batch.drop_column("allowed_settings")
