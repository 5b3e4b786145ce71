"""A run remembers the class's drawings it trained on: how many, and when the newest of them was labelled, so its
class-handwriting score leaves them out (held-out writers' drawings and those labelled later stay in).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:  # an added column: SQLite and PostgreSQL both alter in place
        batch.add_column(sa.Column("drawings", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("drawings_until", sa.Float, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("drawings_until")
        batch.drop_column("drawings")
