"""Labelled drawings in the store, on SQLite and PostgreSQL: kept whole, read back as arrays per class or
workspace, limited, deleted with their class, and carried through the migration that gave them a class."""
from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

import store.drawings as drawings_module
from store import Classes, Drawings, Store, StoreLimitReached
from store.engine import create, migrate


@pytest.fixture
def opened(store_url):
    store = Store(store_url)
    yield store
    store.close()


def test_drawings_come_back_as_arrays_by_class_and_by_workspace(opened):
    rooms, kept = Classes(opened), Drawings(opened)
    room, _ = rooms.create("Lesson")
    ana, ben = opened.create_workspace(), opened.create_workspace()
    seven = np.zeros((28, 28), np.float32)
    seven[4, 5:20] = 1.0
    kept.add(ana, seven, 7, nickname="Ana", class_id=room.id, strokes={"objects": [1]})
    kept.add(ben, np.full((28, 28), 0.5), 1, nickname="<b>Ben</b>", class_id=room.id)
    kept.add(ben, np.zeros((28, 28)), 3, nickname="Ben")  # outside the class
    handwriting = kept.of_class(room.id)
    assert handwriting.images.shape == (2, 28, 28) and handwriting.images.dtype == np.uint8
    assert handwriting.images[0, 4, 5] == 255 and handwriting.images[1, 0, 0] == 128
    assert list(handwriting.labels) == [7, 1] and list(handwriting.writers) == ["Ana", "<b>Ben</b>"]
    assert len(kept.of_workspace(ben)) == 2
    with pytest.raises(ValueError, match="0 to 9"):
        kept.add(ana, seven, 10)
    rooms.delete(room.id)
    assert len(kept.of_class(room.id)) == 0 and len(kept.of_workspace(ben)) == 1  # the class's go with it


def test_a_workspace_keeps_a_limited_number_of_drawings(opened, monkeypatch):
    monkeypatch.setattr(drawings_module, "MAX_DRAWINGS", 2)
    workspace, kept = opened.create_workspace(), Drawings(opened)
    kept.add(workspace, np.zeros((28, 28)), 1)
    kept.add(workspace, np.zeros((28, 28)), 2)
    with pytest.raises(StoreLimitReached, match="already keeps 2 drawings"):
        kept.add(workspace, np.zeros((28, 28)), 3)


def test_drawings_saved_before_classes_existed_survive_the_upgrade(store_url):
    engine = create(store_url)
    migrate(engine, "0002")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO workspaces (id, created, updated) VALUES (:w, 1, 1)"), {"w": "w" * 24})
        conn.execute(sa.text("INSERT INTO drawings (workspace_id, nickname, label, image, created) "
                             "VALUES (:w, 'Ana', 4, :image, 1)"), {"w": "w" * 24, "image": bytes(range(28)) * 28})
    engine.dispose()
    store = Store(store_url)
    old = Drawings(store).of_workspace("w" * 24)
    assert list(old.labels) == [4] and old.images[0, 0, 27] == 27
    store.close()
