"""Classes in the store, on SQLite and PostgreSQL: codes and secrets, nicknames, posting, the board,
hiding, closing and deleting; guessed or malformed codes and secrets find nothing."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from store import ClassError, Classes, Store, StoredRun
from store.classes import CODE_LENGTH, normal_code
from store.engine import create, migrate


@pytest.fixture
def rooms(store_url):
    store = Store(store_url)
    yield Classes(store)
    store.close()


def a_run(store: Store, workspace: str, accuracy: float) -> int:
    return store.add_run(workspace, StoredRun(name="Run 1", config={"lr": accuracy / 100}, status="finished",
                                              test_accuracy=accuracy, curves={"train": [[1, 0.1, 2.0, 0.5, 0.1]]},
                                              model=b"net"))


def test_a_class_has_a_short_code_and_a_separate_teacher_secret(rooms):
    room, secret = rooms.create("  Year 11   maths ")
    assert room.name == "Year 11 maths" and len(room.code) == CODE_LENGTH and secret != room.code
    assert rooms.by_code(room.code.lower()[:4] + " " + room.code[4:]) == room  # typed loosely
    assert rooms.by_teacher(secret) == room
    assert rooms.by_teacher(room.code) is None and rooms.by_code(secret) is None  # the join code moderates nothing
    for hostile in ("", "A" * CODE_LENGTH, "x" * 10_000, "'; DROP TABLE classes; --", None, 7):
        assert rooms.by_code(hostile) is None and rooms.by_teacher(hostile) is None


def test_students_join_post_and_the_board_shows_both(rooms):
    store = rooms.store
    rooms.create("Another class first")  # so that class ids and member ids differ
    room, _ = rooms.create("Lesson")
    ana, ben = store.create_workspace(), store.create_workspace()
    member_a = rooms.join(room.code, ana, "Ana")
    member_b = rooms.join(room.code, ben, "<b>Ben</b> **bold**")
    assert rooms.post(member_a, a_run(store, ana, 0.91)) and rooms.post(member_b, a_run(store, ben, 0.95))
    not_hers = a_run(store, ben, 0.5)
    assert not rooms.post(member_a, not_hers)  # a run of another workspace cannot be posted as hers
    board = rooms.board(room.id)
    assert [(p.nickname, p.run.test_accuracy) for p in board] == [("Ana", 0.91), ("<b>Ben</b> **bold**", 0.95)]
    assert rooms.membership(ben) == member_b  # the class's id and the member's, each in its place
    assert rooms.membership(ana) == member_a and rooms.membership(rooms.store.create_workspace()) is None
    curves = rooms.curves(room.id, [board[0].run.id, not_hers])
    assert list(curves) == [board[0].run.id]  # only posted runs' curves


@pytest.mark.parametrize("nickname, words", [("", "Choose a nickname"), ("x" * 10_000, "at most 30 characters; this one has 10,000"),
                                             ("a\u200bb", "invisible"), ("bell\x07", "control")])
def test_a_nickname_is_checked(rooms, nickname, words):
    room, _ = rooms.create("Lesson")
    with pytest.raises(ClassError, match=words):
        rooms.join(room.code, rooms.store.create_workspace(), nickname)


def test_a_wrong_code_or_a_closed_class_refuses_to_join(rooms):
    room, _ = rooms.create("Lesson")
    workspace = rooms.store.create_workspace()
    with pytest.raises(ClassError, match="No class has this code"):
        rooms.join("ZZZZZZZZ", workspace, "Ana")
    member = rooms.join(room.code, workspace, "Ana")
    rooms.set_closed(room.id, True)
    with pytest.raises(ClassError, match="closed"):
        rooms.join(room.code, rooms.store.create_workspace(), "Ben")
    assert not rooms.post(member, a_run(rooms.store, workspace, 0.9))


def test_the_teacher_hides_entries_and_deletes_the_class(rooms):
    store = rooms.store
    room, _ = rooms.create("Lesson")
    workspace = store.create_workspace()
    member = rooms.join(room.code, workspace, "Ana")
    rooms.post(member, a_run(store, workspace, 0.9))
    rooms.post(member, a_run(store, workspace, 0.8))
    first = rooms.board(room.id)[0]
    rooms.set_hidden(room.id, [first.id], True)
    assert [p.run.test_accuracy for p in rooms.board(room.id)] == [0.8]
    assert [p.hidden for p in rooms.board(room.id, with_hidden=True)] == [True, False]
    other, _ = rooms.create("Other")
    rooms.set_hidden(other.id, [rooms.board(room.id)[0].id], True)  # another class's teacher cannot hide it
    assert len(rooms.board(room.id)) == 1
    shown_run = rooms.board(room.id)[0].run.id
    assert rooms.posted_run(room.id, shown_run).model == b"net"  # anyone in the class may open it
    assert rooms.posted_run(room.id, first.run.id) is None and rooms.posted_run(other.id, shown_run) is None
    rooms.delete(room.id)
    assert rooms.by_code(room.code) is None and rooms.membership(workspace) is None
    assert len(store.runs(workspace)) == 2  # the student's own runs stay


def test_a_deleted_run_leaves_the_board(rooms):
    store = rooms.store
    room, _ = rooms.create("Lesson")
    workspace = store.create_workspace()
    member = rooms.join(room.code, workspace, "Ana")
    run_id = a_run(store, workspace, 0.9)
    rooms.post(member, run_id)
    store.delete_run(workspace, run_id)
    assert rooms.board(room.id) == []


def test_codes_are_read_loosely_but_strictly():
    assert normal_code("abcd-efgh") == "ABCDEFGH" and normal_code("ABCD EFG0") is None and normal_code(None) is None


def test_the_teacher_fixes_which_settings_students_change(rooms):
    room, secret = rooms.create("Lesson")
    workspace = rooms.store.create_workspace()
    rooms.join(room.code, workspace, "Ana")
    assert rooms.by_teacher(secret).allowed is None  # every setting, until the teacher says otherwise
    rooms.set_allowed(room.id, ["lr", "lr"])
    assert rooms.by_teacher(secret).allowed == ("lr",) and rooms.membership(workspace).room.allowed == ("lr",)
    rooms.set_allowed(room.id, [])
    assert rooms.membership(workspace).room.allowed is None


def test_a_class_made_before_the_setting_column_keeps_every_setting_open(store_url):
    engine = create(store_url)
    migrate(engine, "0004")
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO classes (code, teacher_hash, name, closed, created) "
                             "VALUES ('ABCDEFGH', :h, 'Old', false, 1)"), {"h": "h" * 64})
    engine.dispose()
    rooms = Classes(Store(store_url))
    assert rooms.by_code("ABCDEFGH").allowed is None
    rooms.set_allowed(rooms.by_code("ABCDEFGH").id, ["lr", "epochs"])
    assert rooms.by_code("ABCDEFGH").allowed == ("epochs", "lr")
    rooms.store.close()


def test_the_members_list_holds_each_members_newest_trained_run_and_nothing_of_other_classes(rooms):
    store = rooms.store
    room, _ = rooms.create("Lesson")
    other, _ = rooms.create("Other")
    ana, ben, cy, di = (store.create_workspace() for _ in range(4))
    rooms.join(room.code, ana, "Ana")
    rooms.join(room.code, ben, "Ben")
    rooms.join(room.code, cy, "Cy")
    rooms.join(other.code, di, "Di")
    a_run(store, ana, 0.95)
    failed = store.add_run(ana, StoredRun(name="Run 2", config={}, status="failed", reason="NaN"))
    running = store.begin_run(ben, "Run 1", {"lr": 0.1})
    store.add_run(cy, StoredRun(name="uploaded.npz", config={}, status="uploaded", test_accuracy=0.99))
    a_run(store, di, 0.9)
    found = rooms.members(room.id)
    assert [(m.nickname, m.runs, m.best) for m in found] == [("Ana", 2, 0.95), ("Ben", 1, None), ("Cy", 0, None)]
    assert [(m.last.id, m.last.status, m.last.reason) for m in found[:2]] == [(failed, "failed", "NaN"),
                                                                              (running, "running", "")]
    assert found[2].last is None and found[2].updated is None  # an uploaded network is no training
    assert found[1].updated > 0 and found[0].last.model is None  # when last written; never a network
    assert not any(ana in repr(m) or ben in repr(m) for m in found)  # no workspace id: the list may be projected
    assert [m.nickname for m in rooms.members(other.id)] == ["Di"] and rooms.members(10_000) == []
