"""The app's store: workspaces, runs and drawings in an SQLite file or a PostgreSQL database.

SQLAlchemy Core with Alembic migrations (store/alembic); no Streamlit here and nothing of it in the
engine (`mlp/`). Every failure surfaces as a StoreError whose message is written for the user.
"""
from .classes import ClassError, Classes, ClassInfo, Member, Membership, Post
from .drawings import Drawings, Handwriting
from .engine import DATABASE_ENV, STATE_DIR_ENV, database_url, state_dir
from .errors import StoreError, StoreLimitReached, StoreLost, StoreUnavailable
from .store import INTERRUPTED_STATUS, Limits, Store, StoredRun, new_workspace_id, valid_workspace_id

__all__ = ["Drawings", "Handwriting", "ClassError", "ClassInfo", "Classes", "Member", "Membership", "Post",
           "DATABASE_ENV", "INTERRUPTED_STATUS", "STATE_DIR_ENV", "Limits", "Store", "StoreError", "StoreLimitReached",
           "StoreLost", "StoreUnavailable",
           "StoredRun", "database_url", "new_workspace_id", "state_dir", "valid_workspace_id"]
