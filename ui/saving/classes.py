"""A class in the saved work: made by its teacher, joined by students, its board read and moderated. Every call
opens the process's store (ui.saving.process_store) and raises StoreError when it cannot be reached; ClassError
says in words why a join was refused. The pages show what these return and never reach the store themselves."""
from __future__ import annotations

import time

from mlp.drawing.handwriting import Handwriting
from store import ClassError, Classes, ClassInfo, Drawings, Member, Membership, Post, StoredRun, StoreError
from store.classes import CLASS_NAME_CHARS, NICKNAME_CHARS, check_nickname, normal_code
from store.store import STALE_SECONDS
from ui.saving import process_store

__all__ = ["CLASS_NAME_CHARS", "NICKNAME_CHARS", "ClassError", "ClassInfo", "Member", "Membership", "Post",
           "StoreError", "normal_code"]


GONE = "gone"  # a run's phase when its "running" row belongs to a process that is gone


def _classes() -> Classes:
    return Classes(process_store.open_store())


def create(name: str) -> tuple[ClassInfo, str]:
    """A new class and its teacher's secret."""
    return _classes().create(name)


def by_teacher(secret: object) -> ClassInfo | None:
    return _classes().by_teacher(secret)


def join(code: object, workspace: str, nickname: str) -> Membership:
    return _classes().join(code, workspace, nickname)


def grantable(code: object, nickname: str) -> bool:
    """Whether a join would be granted (an open class has this code; ClassError for a bad nickname), asked before a
    new workspace's row is written for it: a refused join writes nothing."""
    room = _classes().by_code(code)
    return room is not None and not room.closed and bool(check_nickname(nickname))


def membership(workspace: str) -> Membership | None:
    """The class this workspace joined, as the store says now (a teacher's rule reaches students at once)."""
    return _classes().membership(workspace)


def board(class_id: int, *, with_hidden: bool = False) -> list[Post]:
    return _classes().board(class_id, with_hidden=with_hidden)


def by_code(code: object) -> ClassInfo | None:
    """The class a join code names (the projector's address holds the code, never the teacher's secret)."""
    return _classes().by_code(code)


def members(class_id: int) -> list[tuple[Member, str | None]]:
    """The class's members with their newest run, and that run's phase in this process's training service when it
    trains here ("queued", "running", "paused"; None when it trains in another process, or not at all): the store
    knows a run is "running" from the moment it is started, the service whether it is still waiting in line. A
    "running" row no process has written for STALE_SECONDS is GONE (its server stopped)."""
    found, now = [], time.time()
    for member in _classes().members(class_id):
        saver = process_store.live_saver(member.last.id) if member.last is not None else None
        phase = saver.run.state if saver is not None else None
        if saver is None and member.last is not None and member.last.status == "running" and (
                now - (member.updated or 0.0) > STALE_SECONDS):
            phase = GONE
        found.append((member, phase))
    return found


def curves(class_id: int, run_ids: list[int]) -> dict[int, dict]:
    return _classes().curves(class_id, run_ids)


def posted_run(class_id: int, run_id: int) -> StoredRun | None:
    """A run posted to the class, whole (its network included)."""
    return _classes().posted_run(class_id, run_id)


def set_hidden(class_id: int, hidden: list[int], shown: list[int]) -> None:
    """The teacher's choice of entries hidden from the board (post ids), and those shown again."""
    rooms = _classes()
    rooms.set_hidden(class_id, hidden, True)
    rooms.set_hidden(class_id, shown, False)


def set_closed(class_id: int, closed: bool) -> None:
    _classes().set_closed(class_id, closed)


def set_allowed(class_id: int, names: list[str] | None) -> None:
    """The settings students may change (None: all)."""
    _classes().set_allowed(class_id, names)


def delete(class_id: int) -> None:
    _classes().delete(class_id)


def drawings(class_id: int) -> Handwriting:
    """The class's labelled drawings."""
    return Drawings(process_store.open_store()).of_class(class_id)
