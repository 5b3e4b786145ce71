"""A lesson on a server the internet can reach (MLP_TRAIN_IN_CLASS_ONLY): only an open class's members and its
teacher may train, and anyone else reads why beside a disabled Start (AppTest, on SQLite and PostgreSQL)."""
from __future__ import annotations

import dataclasses

import pytest
from test_app_class import open_page, student, teacher
from test_app_saved_work import database, shown, visit  # noqa: F401 (database: a fixture)

from training.limits import LIMITS
from ui.frame.navigation import spec

TRAIN = spec("Train").script
REFUSED = "On this server only the members of an open class may train"


@pytest.fixture
def class_only(monkeypatch):
    monkeypatch.setattr("ui.frame.training.LIMITS", dataclasses.replace(LIMITS, class_only=True))


def may_start(at) -> bool:
    open_page(at, TRAIN)
    return not at.button(key="start").disabled


def test_only_an_open_class_trains_and_the_others_read_why(database, class_only):
    outsider = visit()
    assert not may_start(outsider) and REFUSED in shown(outsider)
    teach, code, _ = teacher()
    assert may_start(teach)  # the teacher of an open class
    ana = student(code, "Ana")
    assert may_start(ana) and REFUSED not in shown(ana)
    open_page(teach, spec("Class").script)
    teach.button(key="close_class").click().run()
    assert "(closed)" in shown(teach)
    assert not may_start(ana) and REFUSED in shown(ana)  # closed: the lesson is over
    assert not may_start(teach)


def test_without_the_setting_anyone_trains(database):
    assert may_start(visit())
