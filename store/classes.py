"""Classes in the store: a teacher makes one (a join code for students, a separate secret for the teacher),
students join it by nickname from their workspace, and their ended runs are posted to its board."""
from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa

from training.record import clean_name, hidden_characters

from .schema import classes, members, posts, runs
from .store import SUMMARY, Store, StoredRun, _stored, valid_workspace_id

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread off a projector
CODE_LENGTH = 8  # 40 bits: guessing one of a few open classes takes about 10^11 tries
CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")
SECRET = re.compile(r"[A-Za-z0-9_-]{24}")
NICKNAME_CHARS = 30
CLASS_NAME_CHARS = 80


class ClassError(ValueError):
    """A class request that cannot be granted (unknown code, closed class, bad nickname), in words."""


@dataclass(frozen=True)
class ClassInfo:
    id: int
    code: str
    name: str
    closed: bool
    allowed: tuple[str, ...] | None = None  # the settings students may change (None: every one)


@dataclass(frozen=True)
class Membership:
    """A workspace in a class, under a nickname."""
    member_id: int
    nickname: str
    room: ClassInfo


@dataclass(frozen=True)
class Member:
    """A member as the teacher's live list shows them: their newest run (no network or curves; None before any),
    how many runs they have, their best test accuracy, and when the newest run's row was last written (a running
    row not written for STALE_SECONDS belongs to a process that is gone). No workspace id: it is a secret."""
    nickname: str
    runs: int
    best: float | None
    last: StoredRun | None
    updated: float | None


@dataclass(frozen=True)
class Post:
    """A run on a class's board (without its network or curves)."""
    id: int
    nickname: str
    hidden: bool
    run: StoredRun


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _info(row) -> ClassInfo:
    """A class's row (or a row holding its columns) as a ClassInfo."""
    allowed = json.loads(row.allowed_settings) if row.allowed_settings else None
    return ClassInfo(row.id, row.code, row.name, row.closed, None if allowed is None else tuple(allowed))


def normal_code(text: object) -> str | None:
    """The join code `text` stands for ('abcd efgh' -> 'ABCDEFGH'), or None when it cannot be one."""
    if not isinstance(text, str) or len(text) > 40:
        return None
    code = re.sub(r"[\s-]", "", text).upper()
    return code if CODE.fullmatch(code) else None


def check_nickname(text: str) -> str:
    """The nickname to keep (spaces trimmed), or ClassError saying what is wrong with it."""
    name = " ".join(str(text).split())
    if not name:
        raise ClassError("Choose a nickname: the class sees it beside your runs.")
    if len(name) > NICKNAME_CHARS:
        raise ClassError(f"A nickname has at most {NICKNAME_CHARS} characters; this one has {len(name):,}.")
    if hidden_characters(name):
        raise ClassError("A nickname cannot hold control or invisible characters.")
    return name


class Classes:
    """The class operations on one store (its transactions and its error handling)."""

    def __init__(self, store: Store):
        self.store = store

    def create(self, name: str) -> tuple[ClassInfo, str]:
        """A new class and the teacher's secret (kept only as a hash: shown once, in the teacher's link)."""
        name = clean_name(name, CLASS_NAME_CHARS) or "Our class"
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        secret = secrets.token_urlsafe(18)
        with self.store._write() as conn:
            class_id = conn.execute(classes.insert().values(code=code, teacher_hash=_hash(secret), name=name,
                                                            created=time.time()).returning(classes.c.id)).scalar_one()
        return ClassInfo(class_id, code, name, False), secret

    def by_code(self, code: object) -> ClassInfo | None:
        code = normal_code(code)
        return None if code is None else self._one(classes.c.code == code)

    def by_teacher(self, secret: object) -> ClassInfo | None:
        if not isinstance(secret, str) or not SECRET.fullmatch(secret):
            return None
        return self._one(classes.c.teacher_hash == _hash(secret))

    def join(self, code: object, workspace: str, nickname: str) -> Membership:
        """Join (or rename oneself in) the class; ClassError in words when it cannot be."""
        room = self.by_code(code)
        if room is None:
            raise ClassError("No class has this code: check it with your teacher.")
        if room.closed:
            raise ClassError(f"The class “{room.name}” is closed: it takes no new members.")
        name = check_nickname(nickname)
        with self.store._write() as conn:
            found = conn.execute(sa.select(members.c.id).where(members.c.class_id == room.id,
                                                               members.c.workspace_id == workspace)).scalar()
            if found is None:
                found = conn.execute(members.insert().values(class_id=room.id, workspace_id=workspace, nickname=name,
                                                             created=time.time()).returning(members.c.id)).scalar_one()
            else:
                conn.execute(members.update().where(members.c.id == found).values(nickname=name))
        return Membership(found, name, room)

    def membership(self, workspace: str) -> Membership | None:
        """The class this workspace joined last, if any."""
        if not valid_workspace_id(workspace):
            return None
        query = (sa.select(members.c.id.label("member_id"), members.c.nickname, classes.c.id, classes.c.code,
                           classes.c.name, classes.c.closed, classes.c.allowed_settings).join(classes)
                 .where(members.c.workspace_id == workspace).order_by(members.c.id.desc()).limit(1))
        with self.store._read() as conn:
            row = conn.execute(query).first()
        return None if row is None else Membership(row.member_id, row.nickname, _info(row))

    def post(self, membership: Membership, run_id: int) -> bool:
        """Put one of the member's runs on the board (once); False when the class is closed."""
        with self.store._write() as conn:
            open_class = conn.execute(sa.select(classes.c.id).where(classes.c.id == membership.room.id,
                                                                    classes.c.closed == sa.false())).scalar()
            owned = conn.execute(sa.select(runs.c.id).join(members, members.c.workspace_id == runs.c.workspace_id)
                                 .where(runs.c.id == run_id, members.c.id == membership.member_id)).scalar()
            already = conn.execute(sa.select(posts.c.id).where(posts.c.class_id == membership.room.id,
                                                               posts.c.run_id == run_id)).scalar()
            if open_class is None or owned is None or already is not None:
                return False
            conn.execute(posts.insert().values(class_id=membership.room.id, member_id=membership.member_id,
                                               run_id=run_id, created=time.time()))
        return True

    def board(self, class_id: int, *, with_hidden: bool = False) -> list[Post]:
        """The class's posts, oldest first (hidden ones only for the teacher)."""
        query = (sa.select(posts.c.id.label("post_id"), posts.c.hidden, members.c.nickname, *SUMMARY)
                 .join(members, members.c.id == posts.c.member_id).join(runs, runs.c.id == posts.c.run_id)
                 .where(posts.c.class_id == class_id).order_by(posts.c.id))
        if not with_hidden:
            query = query.where(posts.c.hidden == sa.false())
        with self.store._read() as conn:
            rows = conn.execute(query).mappings().all()
        return [Post(r["post_id"], r["nickname"], r["hidden"], _stored({**r, "model": None, "curves": "{}", "created": 0.0}))
                for r in rows]

    def members(self, class_id: int) -> list[Member]:
        """The class's members in the order they joined, each with their newest trained run (uploads left out) and
        their run count: two queries whatever the class's size."""
        own = sa.select(members.c.workspace_id).where(members.c.class_id == class_id)
        trained = sa.and_(runs.c.workspace_id.in_(own), runs.c.status != "uploaded")
        tally = (sa.select(runs.c.workspace_id, sa.func.max(runs.c.id).label("last_id"),
                           sa.func.count(runs.c.id).label("runs"), sa.func.max(runs.c.test_accuracy).label("best"))
                 .where(trained).group_by(runs.c.workspace_id).subquery())
        query = (sa.select(members.c.nickname, tally.c.last_id, tally.c.runs, tally.c.best)
                 .select_from(members.outerjoin(tally, tally.c.workspace_id == members.c.workspace_id))
                 .where(members.c.class_id == class_id).order_by(members.c.id))
        with self.store._read() as conn:
            rows = conn.execute(query).all()
            ids = [r.last_id for r in rows if r.last_id is not None]
            last = {r["id"]: r for r in conn.execute(sa.select(*SUMMARY, runs.c.updated).where(runs.c.id.in_(ids)))
                    .mappings()} if ids else {}
        return [Member(r.nickname, r.runs or 0, r.best,
                       _stored({**last[r.last_id], "model": None, "curves": "{}", "created": 0.0})
                       if r.last_id in last else None,
                       last[r.last_id]["updated"] if r.last_id in last else None) for r in rows]

    def curves(self, class_id: int, run_ids: list[int]) -> dict[int, dict]:
        """The curves of runs posted to this class (no other run's)."""
        posted = sa.select(posts.c.run_id).where(posts.c.class_id == class_id, posts.c.hidden == sa.false())
        with self.store._read() as conn:
            workspaces = conn.execute(sa.select(runs.c.workspace_id).where(runs.c.id.in_(posted),
                                                                           runs.c.id.in_(run_ids))).scalars().all()
        return self.store.curves(list(set(workspaces)), run_ids) if workspaces else {}

    def posted_run(self, class_id: int, run_id: int) -> StoredRun | None:
        """A run shown on this class's board, network included (None for any other run)."""
        query = (sa.select(runs).join(posts, posts.c.run_id == runs.c.id)
                 .where(posts.c.class_id == class_id, posts.c.run_id == run_id, posts.c.hidden == sa.false()))
        with self.store._read() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else _stored(row)

    def set_hidden(self, class_id: int, post_ids: list[int], hidden: bool) -> None:
        with self.store._write() as conn:
            conn.execute(posts.update().where(posts.c.class_id == class_id, posts.c.id.in_(post_ids))
                         .values(hidden=hidden))

    def set_closed(self, class_id: int, closed: bool) -> None:
        with self.store._write() as conn:
            conn.execute(classes.update().where(classes.c.id == class_id).values(closed=closed))

    def set_allowed(self, class_id: int, names: list[str] | None) -> None:
        """Fix the settings students may change (None or empty: every one)."""
        value = json.dumps(sorted(set(map(str, names)))) if names else None
        with self.store._write() as conn:
            conn.execute(classes.update().where(classes.c.id == class_id).values(allowed_settings=value))

    def delete(self, class_id: int) -> None:
        """The class, its members and its board (the students' runs stay in their workspaces)."""
        with self.store._write() as conn:
            conn.execute(posts.delete().where(posts.c.class_id == class_id))
            conn.execute(members.delete().where(members.c.class_id == class_id))
            conn.execute(classes.delete().where(classes.c.id == class_id))

    def _one(self, condition) -> ClassInfo | None:
        with self.store._read() as conn:
            row = conn.execute(sa.select(classes).where(condition)).first()
        return None if row is None else _info(row)
