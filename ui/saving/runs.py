"""Saving the session's runs: a run saved as it trains, an ended run written and posted to the class board, a write
the store could not take retried, renames and deletions kept in step, an uploaded network kept, and what the session
holds written again when the store's file was lost.

The session's side (which runs it has) is ui.state, which never writes; every write to the store for a run
happens here, called where a page says so: the set-up before each page (collect_finished), the Start button
(begin), the Compare page (rename, delete), an upload (add_uploaded).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Callable

import streamlit as st

from store import Classes, Store, StoreError, StoreLimitReached, StoreUnavailable
from training.logs import short
from training.record import Run, clean_name
from training.run import TrainingRun
from ui import state
from ui.saving import process_store, records
from ui.shared.links import WORKSPACE_PARAM
from ui.shared.network_files import NAME_CHARS, UPLOADED
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)
RETRY_SAVE_SECONDS = 10.0  # an ended run the store could not take (busy, out of reach) is written again after this


def problem(error: StoreError) -> None:
    """Say on the next page why the store failed (and in the server's log); the session goes on in memory."""
    log.warning("saved work of workspace %s: %s", short(state.workspace()), error)
    state.set_store_problem(str(error), isinstance(error, StoreUnavailable))


def saving(action: Callable[[Any], Any]) -> Any:
    """`action(store)`, or None when the store fails: the session goes on in memory and says why once."""
    try:
        return action(process_store.open_store())
    except StoreError as error:
        problem(error)
        return None


def written_workspace(store: Store) -> str | None:
    """The session's workspace, its row written first if this is the first thing it saves: a visit that saves
    nothing writes nothing (one row per visit was 4 rows a second from one client). Its id then goes into the
    address (the cookie follows on the next full page)."""
    workspace_id = state.workspace()
    if workspace_id is not None and not state.workspace_written():
        store.keep_workspace(workspace_id)
        state.mark_workspace_written()
        st.query_params[WORKSPACE_PARAM] = workspace_id
    return workspace_id


def begin(run: TrainingRun) -> None:
    """A new run becomes the session's; in a workspace it is saved as it trains (ui.saving.process_store.RunSaver)."""
    state.set_current_run(run)
    if state.workspace() is not None:
        state.books().saver = saving(lambda store: process_store.RunSaver(store, written_workspace(store), run))


def resume(saver: process_store.RunSaver) -> None:
    """A run still training in this process for this workspace (the tab was reloaded) is the session's again."""
    state.set_current_run(saver.run)
    state.books().saver = saver


def collect_finished() -> None:
    """Before each page: keep the session's run once it has ended and write it (then post it), write again what the
    session holds if the store's file was lost, note the final rows the server has written since, write again the ended
    runs the store could not take, and say which networks the server's memory cap let go."""
    run = state.ended_run()
    if run is not None:
        _keep(run.record)
        _store_finished(run)
    _after_loss()  # after the ended run is kept: a final row its saver wrote into a file lost since is written again
    _landed()
    _retry_unsaved()
    say_released()


def _keep(record: Run) -> None:
    dropped = state.keep_run(record)
    if dropped is not None:
        delete(dropped.uid)
        state.set_notice(f"**{escape_markdown(dropped.name)}** was removed to make room: a session keeps at most "
                         f"{state.MAX_RUNS} runs; download a network you want to keep.", "warning")


def _store_finished(run: TrainingRun) -> None:
    """Write the ended run through its saver (whole, if the store failed when it started), then post it. A store
    out of reach (busy, down) keeps the run for a later page: see _retry_unsaved."""
    saver = state.books().saver
    if saver is None or saver.run is not run:  # no saver: the store failed when the run started
        _write_ended(run.record, None)
        return
    failed = saver.finish()
    if isinstance(failed, StoreUnavailable):  # the server writes it once the store takes it, with or without this tab
        log.warning("saved work of workspace %s: %s", short(state.workspace()), failed)
        state.set_store_problem(f"{failed} **{escape_markdown(run.record.name)}** is not saved yet: the server tries "
                                f"again every {process_store.FINAL_RETRY_SECONDS:.0f} s, also after this tab is closed.",
                                False)
        state.books().pending.append(saver)
        return
    if failed is not None:  # over the workspace's limit: the row is kept without its network
        problem(failed)
    run.record.in_store = saver.network_saved
    state.books().rows[run.record.uid] = saver.row_id
    _post(saver.row_id)


def _landed() -> None:
    """The runs whose final row the server wrote after this session first failed to: noted, posted, and said (a run
    deleted meanwhile loses its row too)."""
    books = state.books()
    landed = [saver for saver in books.pending if saver.landed.is_set()]
    if not landed:
        return
    books.pending = [saver for saver in books.pending if not saver.landed.is_set()]
    for saver in landed:
        record = saver.run.record
        if state.find_run(record.uid) is not record:
            saving(lambda store: store.delete_run(saver.workspace, saver.row_id))
            continue
        record.in_store = saver.network_saved
        books.rows[record.uid] = saver.row_id
        _post(saver.row_id)
    names = [saver.run.record for saver in landed if state.find_run(saver.run.record.uid) is saver.run.record]
    if names:
        state.set_notice(f"Saved now: {_names(names)} (the store could not take it when it ended).", "success")


def _after_loss() -> None:
    """When the store's file was deleted or replaced since this session last wrote (Store.lost), write its workspace
    again: the workspace, the runs it holds (networks that were only in the lost file are gone), the settings and
    drawing; its class membership read again (gone with a deleted file); and say so on the page."""
    workspace_id, books = state.workspace(), state.books()
    if not state.workspace_written():  # nothing saved yet: nothing to write again
        return
    try:
        store = process_store.open_store()
        store.check()
        if books.store_lost is None:
            books.store_lost = store.lost
        if books.store_lost == store.lost:
            return
        again, gone = _write_again(store, workspace_id)
    except StoreError as error:  # tried again on the next page
        problem(error)
        return
    books.store_lost = store.lost
    had_class = state.membership() is not None
    state.set_membership(saving(lambda store: Classes(store).membership(workspace_id)))
    log.warning("workspace %s written again after the store's file was lost: %d runs (%d without their network)",
                short(workspace_id), again, gone)
    words = ["**Saved work was lost on the server:** its file was deleted or replaced while the server ran. What this "
             f"tab holds is saved again: {again} run{'s' if again != 1 else ''}, your settings and your drawing."]
    if gone:
        words.append(f"The networks of {gone} of them were only in the lost file: their curves and results are kept.")
    if had_class and state.membership() is None:
        words.append("Your place in your class was lost with it: join again with the class's code.")
    state.set_notice(" ".join(words), "warning")


def _write_again(store: Store, workspace_id: str) -> tuple[int, int]:
    """The session's runs that the store no longer holds, written again; how many, and how many of them without the
    network only the lost file held. Runs still training, or ended and waiting for their final row, are their
    savers' to write."""
    books = state.books()
    store.keep_workspace(workspace_id)
    drawing = records.drawing_payload(state.drawing(), state.drawn_digit())
    store.save_workspace_state(workspace_id, settings=state.settings(), drawing=drawing)
    books.drawing_text = json.dumps(drawing)  # as ui.saving.drawings.save_drawing compares it
    held = store.run_ids(workspace_id)
    waiting = {id(saver.run.record) for saver in books.pending}
    again = gone = 0
    for record in state.finished_runs():
        if books.rows.get(record.uid) in held or id(record) in waiting:
            continue
        row = records.stored(record)
        try:
            books.rows[record.uid] = store.add_run(workspace_id, row)
        except StoreLimitReached as error:
            problem(error)
            break
        gone += record.in_store and row.model is None
        record.in_store = row.model is not None
        again += 1
    return again, gone


def _write_ended(record: Run, row_id: int | None) -> bool:
    """An ended run's whole row (a new one, or its "running" row finished) and its post to the class board (an
    uploaded network is not posted);
    False when the store is out of reach (kept for later), True once written or refused for good (said)."""
    if state.workspace() is None:
        return True
    row = records.stored(record)
    try:
        store = process_store.open_store()
        workspace_id = written_workspace(store)
        if row_id is None:
            row_id = store.add_run(workspace_id, row)
        else:
            row_id = store.finish_run(workspace_id, row_id, row)
    except StoreUnavailable as error:
        problem(error)
        _later(record, row_id)
        return False
    except StoreError as error:  # a limit: add_run kept nothing, finish_run the row without its network
        problem(error)
        row_id = getattr(error, "row_id", None) or row_id
        if row_id is None:
            return True
    else:
        record.in_store = row.model is not None
    state.books().rows[record.uid] = row_id
    if record.status != UPLOADED:  # the board shows what the class trained
        _post(row_id)
    return True


def _later(record: Run, row_id: int | None) -> None:
    books = state.books()
    if all(r is not record for r, _ in books.unsaved):
        books.unsaved.append((record, row_id))
    books.unsaved_tried = time.monotonic()


def _retry_unsaved() -> None:
    """Every RETRY_SAVE_SECONDS, write the ended runs the store could not take (still in the session: a run
    deleted meanwhile is not written), and say so once they are saved."""
    books = state.books()
    if not books.unsaved or time.monotonic() - books.unsaved_tried < RETRY_SAVE_SECONDS:
        return
    unsaved, books.unsaved, books.unsaved_tried = books.unsaved, [], time.monotonic()
    kept = [(record, row_id) for record, row_id in unsaved if state.find_run(record.uid) is record]
    saved_now = [record for record, row_id in kept if _write_ended(record, row_id)]
    if saved_now:
        names = ", ".join(f"**{escape_markdown(r.name)}**" for r in saved_now)
        state.set_notice(f"Saved now: {names} (the store could not take it when it ended).", "success")


def _post(row_id: int) -> None:
    """Put a saved run on the class board, when the student is in a class and posts."""
    member = state.membership()
    if member is not None and state.posting():
        saving(lambda store: Classes(store).post(member, row_id))


def add_uploaded(record: Run) -> None:
    """Keep a run made outside training (an uploaded network), make it the one Draw and Inspect use, and save it."""
    _keep(record)
    state.choose_run(record.uid)
    _write_ended(record, None)


def rename(uid: int, name: str) -> None:
    record, name = state.find_run(uid), clean_name(name, NAME_CHARS)
    if record is None or not name:
        return
    record.name = name
    run = state.current_run()
    if run is not None and run.record is record:
        run.name = record.name  # the sidebar names the current run too
    row_id = state.books().rows.get(uid)
    if row_id is not None:
        saving(lambda store: store.rename_run(state.workspace(), row_id, record.name))


def delete(uid: int) -> None:
    """Take a run out of the session, and its row out of the workspace."""
    row_id = state.forget_run(uid)
    if row_id is not None:
        saving(lambda store: store.delete_run(state.workspace(), row_id))


def say_released() -> None:
    """Once per run: its network was let go to keep the server's memory under its cap (training.memory)."""
    told = state.books().released_told
    fresh = [r for r in state.finished_runs() if r.released and r.uid not in told]
    if fresh:
        told.update(r.uid for r in fresh)
        state.set_notice(released_words(fresh), "warning" if any(not r.in_store for r in fresh) else "info")


def released_words(runs: list[Run]) -> str:
    """What the owner reads of networks the memory cap let go: those the store holds come back when used; the
    others are gone (only their curves and results stay)."""
    back, gone = ([r for r in runs if r.in_store is kept] for kept in (True, False))
    words = []
    if back:
        words.append(f"The network of {_names(back)} was set aside to free the server's memory (the networks used "
                     "longest ago go first): it is read back from your saved work when you use it.")
    if gone:
        words.append(f"The network of {_names(gone)} was let go to free the server's memory (the networks used "
                     "longest ago go first); its curves and results stay. Download a network you want to keep.")
    return " ".join(words)


def _names(runs: list[Run]) -> str:
    return ", ".join(f"**{escape_markdown(r.name)}**" for r in runs)
