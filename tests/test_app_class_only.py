"""Who may train on a shared server (AppTest, on SQLite and PostgreSQL): on a lesson's server the internet can reach
(MLP_TRAIN_IN_CLASS_ONLY) only an open class's members and its teacher, anyone else reading why beside a disabled
Start; and a workspace only its share of runs at once, its tabs together."""
from __future__ import annotations

import dataclasses

import pytest
from test_app_class import open_page, student, teacher
from test_app_saved_work import database, shown, visit  # noqa: F401 (database: a fixture)

from training.limits import LIMITS
from training.workers import WorkerPool
from ui.frame.navigation import spec
from ui.state import RUN_KEY

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


def test_a_workspaces_third_tab_reads_that_it_has_its_share_of_runs(database, monkeypatch):
    """Tabs of one workspace share its share of the line (MLP_RUNS_PER_WORKSPACE, 2): the third is told why."""
    pool = WorkerPool(1)
    monkeypatch.setattr("training.run.POOL", pool)
    first = visit()
    tabs = [first, visit(first.query_params["w"]), visit(first.query_params["w"])]
    try:
        for tab in tabs:
            open_page(tab, TRAIN)
            tab.number_input(key="setting_epochs").set_value(20).run()  # longer than the test: stopped below
            tab.button(key="start").click().run()
        assert [tab.session_state[RUN_KEY].active for tab in tabs[:2]] == [True, True]
        assert RUN_KEY not in tabs[2].session_state
        assert ("Training could not start: This workspace already has 2 runs training or waiting for a worker (in "
                "this tab or another one)") in shown(tabs[2])
    finally:
        for tab in tabs[:2]:
            tab.session_state[RUN_KEY].stop()
            tab.session_state[RUN_KEY].wait(60)
        pool.close()
