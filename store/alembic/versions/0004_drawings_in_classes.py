"""A drawing may belong to a class: the class's own handwriting, kept with it (and deleted with it).

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("drawings") as batch:  # SQLite rebuilds the table; PostgreSQL alters it
        batch.add_column(sa.Column("class_id", sa.Integer, nullable=True))
        batch.create_foreign_key("fk_drawings_class_id", "classes", ["class_id"], ["id"], ondelete="CASCADE")
        batch.create_index("ix_drawings_class_id", ["class_id"])


def downgrade() -> None:
    with op.batch_alter_table("drawings") as batch:
        batch.drop_index("ix_drawings_class_id")
        batch.drop_constraint("fk_drawings_class_id", type_="foreignkey")
        batch.drop_column("class_id")
