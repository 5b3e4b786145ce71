"""A class through the app (AppTest), on SQLite and PostgreSQL: a teacher creates it, two students join and
post runs, the board shows both; hostile nicknames, guessed codes and secrets; the teacher hides an entry (on the
Class page or the Board) and a student cannot; the join code large with its QR code, the teacher link only when asked
for, the projector view with no secret in its address, and the live list of who is doing what."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from streamlit.testing.v1 import AppTest
from test_app_saved_work import TRAIN, database, shown, train_one, visit  # noqa: F401 (database: a fixture)

from store import Classes, Store, StoredRun
from ui.frame.navigation import spec
from ui.saving import process_store
from ui.saving import runs as saving_runs
from ui.state import RUN_KEY

CLASS, BOARD, TRAIN = spec("Class").script, spec("Board").script, spec("Train").script


def open_page(at: AppTest, script: str, **params: str) -> AppTest:
    """The page `script`, with `params` in its address (AppTest keeps parameters set after the switch)."""
    at.switch_page(script)
    at.query_params.update(params)
    at.run()
    assert not at.exception, at.exception
    return at


def teacher() -> tuple[AppTest, str, str]:
    """A teacher's session with a new class; its join code and teacher secret (from the links it shows, the teacher
    link once asked for)."""
    at = open_page(visit(), CLASS)
    at.text_input(key="class_name").set_value("Year 11").run()
    at.button(key="create_class").click().run()
    at.toggle(key="show_teacher_link").set_value(True).run()
    join, moderate = (c.value for c in at.code)
    at.toggle(key="show_teacher_link").set_value(False).run()
    return at, join.split("class=")[1], moderate.split("teacher=")[1]


def student(code: str, nickname: str) -> AppTest:
    at = open_page(visit(), CLASS)
    at.text_input(key="join_code").set_value(code).run()
    at.text_input(key="join_nickname").set_value(nickname).run()
    at.button(key="join").click().run()
    assert not at.exception, at.exception
    return at


BOARD_TABLE, MEMBERS_TABLE = "settings", "now"  # a column each has (a read-only table's key is not in AppTest's tree)


def table(at: AppTest, column: str):
    """The table on the page with this column (None when there is none)."""
    return next((d.value for d in at.dataframe if column in d.value.columns), None)


def board_rows(at: AppTest) -> list[str]:
    open_page(at, BOARD)
    rows = table(at, BOARD_TABLE)
    return list(rows["student"]) if rows is not None else []


def test_two_students_post_runs_and_the_board_shows_both(database):
    teach, code, _ = teacher()
    ana, ben = student(code, "Ana"), student(code, "<script>x</script> **Ben**")
    assert "You are in **Year 11** as **Ana**." in [m.value for m in ana.markdown]
    train_one(ana)
    train_one(ben)
    assert sorted(board_rows(teach)) == sorted(["Ana", "<script>x</script> **Ben**"])  # a table cell: text
    assert teach.selectbox(key="board_setting").value == "lr" and "Best so far" in shown(teach)
    assert "<script>" not in "".join(m.value for m in [*teach.markdown, *teach.success])  # escaped where Markdown
    teach.multiselect(key="board_overlay").set_value(teach.multiselect(key="board_overlay").options[:2]).run()
    assert not teach.exception
    assert board_rows(ana) == board_rows(teach)


@pytest.mark.parametrize("nickname, words", [("   ", "Choose a nickname"), ("Ana\u200b\u200b", "invisible")])
def test_a_bad_nickname_is_refused_in_words(database, nickname, words):
    _, code, _ = teacher()
    at = student(code, nickname)
    assert words in shown(at) and at.text_input(key="join_nickname")  # still on the join form


def test_a_nickname_of_ten_thousand_characters_is_cut_to_thirty(database):
    _, code, _ = teacher()
    at = student(code, "x" * 10_000)  # the field takes 30; the store refuses more (tests/test_store_classes.py)
    assert f"You are in **Year 11** as **{'x' * 30}**." in [m.value for m in at.markdown]


@pytest.mark.parametrize("code", ["ZZZZ-ZZZZ", "x" * 500, "<b>", ""])
def test_a_guessed_or_malformed_code_joins_nothing(database, code):
    teacher()
    at = student(code, "Ana")
    assert "No class has this code" in shown(at) and at.text_input(key="join_nickname")


def test_a_wrong_teacher_link_moderates_nothing(database):
    _, code, secret = teacher()
    for wrong in (code, secret[:-1] + ("A" if secret[-1] != "A" else "B"), "x" * 5000):
        at = visit()
        at.switch_page(CLASS)
        at.query_params["teacher"] = wrong
        at.run()
        assert "does not open any class" in shown(at) and not at.multiselect  # no moderation


def test_the_teacher_hides_an_entry_and_a_student_cannot(database):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    train_one(ana)
    train_one(ana)
    assert board_rows(teach) == ["Ana", "Ana"]
    open_page(ana, CLASS)
    assert not ana.multiselect  # the join link gives no way to hide
    open_page(teach, CLASS)
    hidden = teach.multiselect(key="hidden_posts")
    hidden.set_value(hidden.options[:1]).run()
    assert board_rows(ana) == ["Ana"] and board_rows(teach) == ["Ana"]


def test_a_student_who_turns_posting_off_posts_nothing(database):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    ana.toggle(key="posting").set_value(False).run()
    train_one(ana)
    assert board_rows(teach) == []


def test_the_teacher_closes_then_deletes_the_class(database):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    teach.button(key="close_class").click().run()
    assert "is closed" in shown(student(code, "Ben")) and "(closed)" in shown(teach)
    train_one(ana)
    assert board_rows(teach) == []  # a closed class takes no new runs
    open_page(teach, CLASS)
    teach.checkbox(key="confirm_delete").check().run()
    teach.button(key="delete_class").click().run()
    assert "is deleted" in shown(teach)
    assert "No class has this code" in shown(student(code, "Cy"))


def test_anyone_in_the_class_opens_the_best_run_on_draw_and_inspect(database):
    teach, code, _ = teacher()
    ana, ben = student(code, "Ana"), student(code, "Ben")
    train_one(ana)
    board_rows(ben)
    ben.button(key="open_best").click().run()
    assert not ben.exception and "Ana: Run 1" in shown(ben) and "is now the network on Draw and Inspect" in shown(ben)
    [opened] = ben.session_state["finished_runs"]
    assert opened.usable and opened.name.startswith("Ana: Run 1")
    open_page(ben, spec("Inspect").script)
    assert any(option.startswith("Ana: Run 1") for box in ben.selectbox for option in box.options)


def test_the_teacher_fixes_the_learning_rate_only_and_a_student_changes_nothing_else(database):
    teach, code, _ = teacher()
    ana = student(code, "Ana")  # joined before the rule: it reaches her on her next visit to Train
    teach.multiselect(key="class_allowed").set_value(["lr"]).run()
    assert not teach.exception and teach.multiselect(key="class_allowed").value == ["lr"]
    open_page(ana, TRAIN)
    assert ana.text_input(key="setting_hidden").disabled and ana.number_input(key="setting_epochs").disabled
    assert not ana.number_input(key="setting_lr").disabled
    assert "you change only Learning rate" in shown(ana)
    open_page(teach, CLASS).multiselect(key="class_allowed").set_value([]).run()  # every setting open again
    assert not open_page(ana, TRAIN).text_input(key="setting_hidden").disabled


def test_one_rule_locks_presets_fixes_links_and_the_drawings_switch_and_says_why(database):
    """Under "students change the learning rate (and the data, to train quickly)", nothing claims a change the rule
    forbids: presets and fixes that need a fixed setting are locked with why, a link's fixed values are not used."""
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    teach.multiselect(key="class_allowed").set_value(["lr", "classes", "per_class", "epochs"]).run()
    open_page(ana, TRAIN)
    best = ana.button(key="preset_best")
    assert best.disabled and "fixed by your teacher" in best.help
    assert "presets change a setting your teacher fixed" in shown(ana)
    assert ana.toggle(key="with_drawings").disabled and "Add the class's drawings is fixed by your teacher" in shown(ana)

    linked = AppTest.from_file(ana._script_path, default_timeout=60)  # Ana opens a friend's share link
    linked.query_params.update({"w": ana.query_params["w"], "hidden": "32", "lr": "0.5"})
    linked.run()
    assert "Hidden layers (units per layer) is fixed by your teacher" in shown(linked)
    open_page(linked, TRAIN)
    assert linked.number_input(key="setting_lr").value == 0.5
    assert linked.text_input(key="setting_hidden").value == ana.text_input(key="setting_hidden").value != "32"

    train_one(ana)  # the learning rate at 1 on top of it: far too large, and the diagnosis's fixes follow the rule
    ana.number_input(key="setting_lr").set_value(1.0).run()
    ana.button(key="start").click().run()
    assert ana.session_state[RUN_KEY].wait(120), "training did not end in time"
    ana.run()
    fixes = [b for b in ana.button if b.key and b.key.startswith("fix_")]
    locked = [b for b in fixes if b.disabled]
    assert locked and all(b.label.startswith("Fix and train again") for b in locked), [b.label for b in fixes]
    assert "Ask your teacher, or try a change you may make." in shown(ana)
    [free] = [b for b in fixes if not b.disabled]  # lowering the learning rate is the student's to do
    assert "learning rate" in free.label
def page_texts(at: AppTest) -> str:
    """Everything the page shows as text: Markdown, captions, notices, code blocks, labels, tables' cells."""
    widgets = [*at.button, *at.toggle, *at.multiselect, *at.text_input, *at.selectbox, *at.checkbox]
    tables = [at.dataframe[i].value.to_csv() for i in range(len(at.dataframe))]
    return "\n".join([shown(at), *(c.value for c in at.code), *(w.label for w in widgets), *tables,
                      *(link.proto.label + link.proto.query_string for link in at.get("page_link"))])


def test_the_class_page_shows_the_join_code_large_with_its_qr_code_and_the_teacher_link_only_when_asked(database):
    at = open_page(visit(), CLASS)
    at.text_input(key="class_name").set_value("Year 11").run()
    at.button(key="create_class").click().run()
    secret = at.query_params["teacher"]  # this page's own address is the teacher's link
    [join] = [c.value for c in at.code]  # the join link alone
    code = join.split("class=")[1]
    assert f'<div class="join-code">{code[:4]}-{code[4:]}</div>' in [m.value for m in at.markdown]
    [qr] = at.get("image")
    assert qr.proto.imgs[0].caption == "The join link"
    assert secret not in page_texts(at)
    at.toggle(key="show_teacher_link").set_value(True).run()
    assert f"Class?teacher={secret}" in [c.value for c in at.code]
    [projector] = [link for link in at.get("page_link") if "projector" in link.proto.query_string]
    assert projector.proto.page == "Board" and projector.proto.query_string == f"projector={code}"


def projector(at: AppTest, code: str) -> AppTest:
    """The Board's projector view of the class `code`, as the Class page's link opens it."""
    return open_page(at, BOARD, projector=code)


def test_the_projector_view_shows_the_join_code_and_who_is_training_with_no_secret_in_address_or_page(database):
    teach, code, secret = teacher()
    epochs = open_page(teach, TRAIN).number_input(key="setting_epochs").value  # the teacher's own saved work: a
    teach.number_input(key="setting_epochs").set_value(epochs + 1).run()  # change, and back (no setting in the
    teach.number_input(key="setting_epochs").set_value(epochs).run()  # address then)
    workspace = teach.query_params["w"]
    ana, ben = student(code, "Ana"), student(code, "Ben")
    store = Store(database)
    rooms = Classes(store)
    member = rooms.membership(ana.query_params["w"])
    rooms.post(member, store.add_run(ana.query_params["w"], StoredRun(
        name="Run 1", config={"lr": 0.01}, status="finished", test_accuracy=0.97)))
    store.add_run(ben.query_params["w"], StoredRun(name="Run 1", config={"lr": 10.0}, status="failed",
                                                   reason="The loss became NaN."))
    store.close()
    projector(teach, code)
    assert dict(teach.query_params) == {"projector": code}  # neither the workspace nor the teacher's secret
    text = page_texts(teach)
    assert workspace not in text and secret not in text and "w=" not in text
    assert f'<div class="join-code">{code[:4]}-{code[4:]}</div>' in text and len(teach.get("image")) == 1
    assert "2 students: 1 stuck (Ben), 1 finished" in text
    members = table(teach, MEMBERS_TABLE)
    assert list(members["student"]) == ["Ana", "Ben"] and list(members["now"]) == ["finished", "stuck"]
    assert teach.multiselect(key="hidden_posts")  # the teacher's session keeps the teacher's hand
    teach.query_params.clear()  # as the browser's page switch does (AppTest's keeps the address)
    open_page(teach, CLASS)
    assert teach.query_params["w"] == workspace  # any other page: the saved work is back in the address
    again = projector(visit(), code)  # the projector's tab reloaded: a new session, no teacher link
    assert dict(again.query_params) == {"projector": code} and "Ana" in page_texts(again)
    assert "hidden_posts" not in [m.key for m in again.multiselect]  # the board and the code, no moderation
    assert workspace not in page_texts(again)
    wrong = projector(visit(), "ZZZZ-ZZZZ")
    assert "names no class" in shown(wrong) and "w" not in wrong.query_params


def test_the_teacher_hides_an_entry_from_the_board_itself_and_a_student_cannot(database):
    teach, code, _ = teacher()
    ana = student(code, "Ana")
    train_one(ana)
    train_one(ana)
    open_page(ana, BOARD)
    assert "hidden_posts" not in [m.key for m in ana.multiselect] and table(ana, MEMBERS_TABLE) is None
    # a student neither hides entries nor sees who is stuck
    open_page(teach, BOARD)
    hidden = teach.multiselect(key="hidden_posts")
    hidden.set_value(hidden.options[:1]).run()
    assert not teach.exception, teach.exception
    assert board_rows(ana) == ["Ana"] and board_rows(teach) == ["Ana"]
    again = teach.multiselect(key="hidden_posts")
    assert len(again.value) == 1 and again.options == hidden.options  # still listed, to show it again


@contextmanager
def store_locked(path):
    """Another program's write transaction on the SQLite file: readers go on, writers wait, then give up."""
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.parametrize("busy_at_the_end", [False, True])
def test_a_run_the_store_could_not_take_is_still_saved_and_posted(mnist_dir, monkeypatch, tmp_path, busy_at_the_end):
    """The store locked as the run starts: its saver cannot write the "running" row; the ended run is saved whole
    and reaches the class board. Locked again as it ends: the run waits in the tab and is saved on a later page.
    (A warm worker can end the run within the locked click's own page runs: its save is then the one retried.)"""
    path = tmp_path / "store.sqlite3"
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    monkeypatch.setenv("MLP_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr(process_store, "BUSY_SECONDS", 0.2)  # a write gives up on the lock after 0.2 s
    try:
        teach, code, _ = teacher()
        ana = open_page(student(code, "Ana"), TRAIN)
        ana.number_input(key="setting_per_class").set_value(300).run()
        ana.number_input(key="setting_epochs").set_value(1).run()
        with store_locked(path):
            ana.button(key="start").click().run()
        assert "Saved work is busy" in shown(ana) and not ana.exception  # the saver could not start
        assert ana.session_state[RUN_KEY].wait(120), "training did not end in time"
        if busy_at_the_end:
            with store_locked(path):
                ana.run()
            assert saved_rows(path, ana) == [] and not ana.exception  # kept in the tab for now
        monkeypatch.setattr(saving_runs, "RETRY_SAVE_SECONDS", 0.0)  # the next page writes what the store could not take
        ana.run()
        assert not ana.exception, ana.exception
        if busy_at_the_end:
            assert "Saved now" in shown(ana)
        [row] = saved_rows(path, ana)
        store = Store(f"sqlite:///{path}")
        [post] = Classes(store).board(Classes(store).by_code(code).id)
        store.close()
        assert (row.status, row.model is not None, post.nickname, post.run.id) == ("finished", True, "Ana", row.id), \
            row.reason
        assert board_rows(teach) == ["Ana"]
    finally:
        process_store.close_stores()


def saved_rows(path, at: AppTest) -> list:
    store = Store(f"sqlite:///{path}")
    try:
        return store.runs(at.query_params["w"])
    finally:
        store.close()
