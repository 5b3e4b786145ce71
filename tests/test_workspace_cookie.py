"""The browser remembers its workspace (AppTest, on SQLite and PostgreSQL): the cookie's id, as the tab's first
request would send it, brings back runs, drawing, settings and class membership through a plain address, a share
link or the class's join link; another class's join link offers to join it; a hostile cookie is ignored in silence;
a tab writes the cookie only when the browser holds another workspace."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from test_app_class import CLASS, open_page, student, teacher
from test_app_saved_work import COMPARE, ROOT, TRAIN, database, runs, shown, train_one  # noqa: F401 (database: a fixture)

from store import Store, valid_workspace_id
from ui.saving import records, workspace
from ui.state import DIGIT_KEY, DRAWING_KEY


def arrive(monkeypatch, cookie: object, **address: str) -> AppTest:
    """A new tab of a browser whose cookie holds `cookie`, opening an address with `address`."""
    monkeypatch.setattr(workspace, "remembered", lambda: cookie)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for name, value in address.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def join_link(at: AppTest, code: str) -> AppTest:
    """The Class page with a join link's code in the address."""
    return open_page(at, CLASS, **{"class": code})


def cookie_scripts(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.html if "document.cookie" in e.proto.body]


def test_a_plain_address_brings_back_what_the_browser_remembers(database, monkeypatch):
    _, code, _ = teacher()
    ana = student(code, "Ana")
    remembered = ana.query_params["w"]
    train_one(ana)
    ana.number_input(key="setting_lr").set_value(0.05).run()
    digit = np.linspace(0, 1, 784, dtype=np.float32).reshape(28, 28)
    Store(database).save_workspace_state(remembered, drawing=records.drawing_payload({"objects": [1]}, digit))

    back = arrive(monkeypatch, remembered)
    assert back.query_params["w"] == remembered
    assert [r.name for r in runs(back)] == [r.name for r in runs(ana)]
    assert back.session_state["settings"]["lr"] == 0.05
    assert back.session_state[DRAWING_KEY] == {"objects": [1]}
    assert np.allclose(back.session_state[DIGIT_KEY], digit, atol=1e-4)
    assert "restored from what this browser remembers" in shown(back)
    assert "Not your work (a shared computer)? **Start fresh**" in shown(back)  # a lab's next student
    assert cookie_scripts(back) == []  # the browser already holds this workspace
    open_page(back, CLASS)
    assert "You are in **Year 11** as **Ana**." in [m.value for m in back.markdown]


def test_a_share_link_applies_its_settings_to_the_remembered_workspace(database, monkeypatch):
    first = arrive(monkeypatch, None)
    train_one(first)
    remembered = first.query_params["w"]
    shared = arrive(monkeypatch, remembered, epochs="3", lr="0.2")
    assert shared.query_params["w"] == remembered and len(runs(shared)) == 1
    assert (shared.session_state["settings"]["epochs"], shared.session_state["settings"]["lr"]) == (3, 0.2)
    again = arrive(monkeypatch, remembered)  # the link's settings were saved into that workspace
    assert (again.session_state["settings"]["epochs"], again.session_state["settings"]["lr"]) == (3, 0.2)


def test_the_classes_join_link_again_finds_the_student_in_it_and_another_classes_offers_to_join(database,
                                                                                               monkeypatch):
    _, code, _ = teacher()
    _, other, _ = teacher()
    remembered = student(code, "Ana").query_params["w"]
    again = join_link(arrive(monkeypatch, remembered, **{"class": code}), code)
    assert "You are in **Year 11** as **Ana**." in [m.value for m in again.markdown] and not again.text_input

    elsewhere = join_link(arrive(monkeypatch, remembered, **{"class": other}), other)
    assert elsewhere.text_input(key="join_code").value == other
    assert "You are in **Year 11** as **Ana**" in shown(elsewhere)
    elsewhere.text_input(key="join_nickname").set_value("Ana B").run()
    elsewhere.button(key="join").click().run()
    assert "You are in **Year 11** as **Ana B**." in [m.value for m in elsewhere.markdown]
    assert elsewhere.query_params["w"] == remembered  # the same workspace, now in the other class


@pytest.mark.parametrize("cookie", ["A" * 24, "x" * 10_000, "<script>alert(1)</script>", "'; DROP TABLE runs; --"],
                         ids=["unknown", "10000-chars", "script", "sql"])
def test_a_hostile_or_unknown_cookie_is_ignored_and_replaced(database, monkeypatch, cookie):
    at = arrive(monkeypatch, cookie)
    assert "w" not in at.query_params and runs(at) == [] and cookie_scripts(at) == []  # nothing saved: nothing kept
    assert "not found" not in shown(at) and not at.warning
    at.switch_page(TRAIN).run()
    at.number_input(key="setting_epochs").set_value(2).run()  # the first thing worth saving
    fresh = at.query_params["w"]
    assert valid_workspace_id(fresh) and fresh != cookie
    [script] = cookie_scripts(at)
    assert f"mlp_workspace={fresh}; Path=/; Max-Age=34560000; SameSite=Lax" in script and "<script>a" not in script


def test_start_fresh_has_the_browser_remember_the_new_workspace(database, monkeypatch):
    at = arrive(monkeypatch, None)
    train_one(at)
    old = at.query_params["w"]
    monkeypatch.setattr(workspace, "remembered", lambda: old)  # the browser now holds it
    at.switch_page(COMPARE).run()
    assert cookie_scripts(at) == []
    at.button(key="start_fresh").click().run()
    new = at.query_params["w"]
    assert new != old and [f"mlp_workspace={new};" in s for s in cookie_scripts(at)] == [True]
    assert runs(arrive(monkeypatch, new)) == []
