"""The tables, as SQLAlchemy Core sees them at the newest migration (store/alembic/versions holds each step).

Times are Unix seconds (float): the same comparison in SQLite and PostgreSQL. JSON is kept as text,
written and read by the store, so NaN losses of a diverged run survive on either database.
"""
from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

workspaces = sa.Table(
    "workspaces", metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # secrets.token_urlsafe: the key itself is the secret
    sa.Column("settings", sa.Text, nullable=True),  # the Train page's settings, JSON
    sa.Column("drawing", sa.Text, nullable=True),  # the Draw page's canvas (fabric.js objects), JSON
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
)

runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("config", sa.Text, nullable=False),  # TrainConfig.to_dict(), JSON
    sa.Column("status", sa.String(20), nullable=False),  # running, finished, stopped, failed, uploaded, interrupted
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    sa.Column("curves", sa.Text, nullable=False, server_default="{}"),  # the History, JSON
    sa.Column("test_accuracy", sa.Float, nullable=True),
    sa.Column("test_loss", sa.Float, nullable=True),
    sa.Column("seconds", sa.Float, nullable=False, server_default="0"),
    sa.Column("epochs", sa.Float, nullable=False, server_default="0"),
    sa.Column("model", sa.LargeBinary, nullable=True),  # the .npz model file, whole or absent
    sa.Column("bytes", sa.Integer, nullable=False, server_default="0"),  # what the row weighs, for the limit
    sa.Column("owner", sa.String(120), nullable=False, server_default=""),  # host:pid:token of the process training it
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("updated", sa.Float, nullable=False),
    # The class's drawings it trained on (0: none) and when the newest of them was labelled (migration 0006):
    # its class-handwriting score leaves out what it may have seen.
    sa.Column("drawings", sa.Integer, nullable=False, server_default="0"),
    sa.Column("drawings_until", sa.Float, nullable=True),
)

drawings = sa.Table(
    "drawings", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("nickname", sa.String(40), nullable=False, server_default=""),
    sa.Column("label", sa.SmallInteger, nullable=False),  # the digit the writer says it is, 0-9
    sa.Column("image", sa.LargeBinary, nullable=False),  # 28x28 uint8, row by row
    sa.Column("strokes", sa.Text, nullable=True),  # the canvas's objects, JSON
    sa.Column("created", sa.Float, nullable=False),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE", name="fk_drawings_class_id"),
              nullable=True, index=True),  # the class whose handwriting it is, if any
)

classes = sa.Table(
    "classes", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("code", sa.String(16), nullable=False, unique=True),  # the join code students type or follow
    sa.Column("teacher_hash", sa.String(64), nullable=False, unique=True),  # sha256 of the teacher's secret
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("closed", sa.Boolean, nullable=False, server_default=sa.false()),  # no joining, no posting
    sa.Column("allowed_settings", sa.Text, nullable=True),  # JSON list of the settings students may change; NULL: all
    sa.Column("created", sa.Float, nullable=False),
)

members = sa.Table(
    "members", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False),
    sa.Column("workspace_id", sa.String(64), sa.ForeignKey("workspaces.id", ondelete="CASCADE"), nullable=False),
    sa.Column("nickname", sa.String(40), nullable=False),
    sa.Column("created", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "workspace_id"),
)

posts = sa.Table(
    "posts", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("class_id", sa.Integer, sa.ForeignKey("classes.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("member_id", sa.Integer, sa.ForeignKey("members.id", ondelete="CASCADE"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    sa.Column("hidden", sa.Boolean, nullable=False, server_default=sa.false()),  # by the teacher
    sa.Column("created", sa.Float, nullable=False),
    sa.UniqueConstraint("class_id", "run_id"),
)
