"""The network a page uses: in memory, else read back from the workspace's saved work (pages read a run's network
only through here), and which run's network Draw and Inspect use."""
from __future__ import annotations

import logging
import math
import time

from mlp.model import Model
from store import StoreError
from training.logs import short
from training.memory import KEPT
from training.record import Run
from ui import state
from ui.saving import process_store, records
from ui.saving.runs import say_released
from ui.shared.text import escape_markdown

log = logging.getLogger(__name__)
READ_AGAIN_SECONDS = 5.0  # a network the store could not give back is asked for again after this, not on every call


def network(record: Run) -> Model | None:
    """The run's network, for a page to use (the one way pages read it): in memory, else read back from the
    workspace's store (validated as an upload is, then counted again by the server's cap, which may let go of
    networks used longer ago). None when it has no usable one, or while the store cannot give it (see
    network_trouble; asked again after READ_AGAIN_SECONDS)."""
    model = record.model
    if model is None and record.in_store:
        model = _read_back(record)
    if model is not None:
        record.touch()  # in use: the last network the server's memory cap lets go
    return model if record.usable else None


def _read_back(record: Run) -> Model | None:
    """Its network from the workspace's row; a row gone or unreadable takes the run out of the menus for good."""
    books = state.books()
    if time.monotonic() - books.unread.get(record.uid, ("", -math.inf))[1] < READ_AGAIN_SECONDS:
        return None
    row_id, workspace_id = books.rows.get(record.uid), state.workspace()
    try:
        content = (process_store.open_store().run_model(workspace_id, row_id)
                   if row_id is not None and workspace_id is not None else None)
        model = records.network(content, record.name) if content is not None else None
    except StoreError as error:
        log.warning("run %r's network not read from workspace %s: %s", record.name, short(workspace_id), error)
        books.unread[record.uid] = (str(error), time.monotonic())
        return None
    except records.UNREADABLE:
        model = None
    books.unread.pop(record.uid, None)
    if model is None:  # deleted meanwhile (in another tab), or unreadable: its curves and results stay
        record.in_store = False
        return None
    record.take_network(model)
    KEPT.keep(record)
    say_released()  # on the page now, when this let go of this session's others
    return model


def network_trouble(record: Run | None) -> str:
    """Why a usable run's network is not here now: the store could not give it back ('' when nothing is wrong)."""
    problem = state.books().unread.get(record.uid) if record is not None else None
    if problem is None or record.model is not None:
        return ""
    return (f"The network of **{escape_markdown(record.name)}** is kept in your saved work, which cannot be read just "
            f"now: {escape_markdown(problem[0])} Its curves and results are here; its network is read back when you "
            "use it again once the store answers.")


def chosen_run() -> Run | None:
    """The run whose network Inspect shows and Draw uses when nothing trains: the one picked, else the newest, its
    network in memory (read back from the store if need be; missing only while the store cannot give it: see
    network_trouble). One whose network turns out unusable leaves the menus for the next."""
    chosen = state.picked_run()
    while chosen is not None and network(chosen) is None and not chosen.usable:
        chosen = state.picked_run()
    return chosen


def following_training() -> str:
    """The name of the run training now when its network answers on Draw (its first weights have arrived), else ''."""
    run = state.active_run()
    return run.name if run is not None and run.model() is not None else ""


def latest_model() -> tuple[Model | None, str]:
    """The model to draw with, and a few words on where it comes from: the network training now
    (so the answer follows it as it learns), else the chosen run's."""
    run = state.active_run()
    if run is not None:
        model = run.model()
        if model is not None:
            return model, f"{run.name} (still training)"
    record = chosen_run()
    return (network(record), record.name) if record is not None else (None, "")
