"""bench/abuse.py's own logic, without a server: the memory bounds a case is held to, what a page must not show, and
the browser stand-in's address, which follows what the app sets as a browser's address bar does."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1] / "bench"))  # after the project: bench/store.py is no store

import abuse  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402


def test_bounds_hold_the_peak_unless_it_is_free_and_always_the_memory_after():
    default, training = abuse.Bounds(), abuse.Bounds(peak_mb=None, after_mb=300)
    assert default.kept(200, 399, 399) and not default.kept(200, 400, 210) and not default.kept(200, 210, 400)
    assert training.kept(200, 2000, 499) and not training.kept(200, 2000, 500)


def test_a_store_path_or_an_address_on_a_page_is_named():
    assert abuse.secrets_in_text("Saved work was lost on the server: saved again: 1 run.") == []
    assert abuse.secrets_in_text("could not write /tmp/abuse-x/state/store.sqlite3") == ["a path", "a path"]
    assert abuse.secrets_in_text("see postgresql://user@db/mlp") == ["a URL"]


def test_the_address_follows_what_the_app_sets_and_is_sent_back():
    client = StreamlitClient("http://127.0.0.1:1", "reader")
    message = ForwardMsg()
    message.page_info_changed.query_string = "w=abc&teacher=s3cret&epochs=2"
    client._handle(message)
    assert abuse.address_query(client) == {"w": "abc", "teacher": "s3cret", "epochs": "2"}
    assert client.query_string == "w=abc&teacher=s3cret&epochs=2"  # the next rerun sends it, as a browser's does


def test_a_case_not_run_here_is_said_so_in_the_table():
    row = abuse.Row("store folder unwritable", "not run: needs root", 200, 201, 200, 0.1, False, ran=False)
    assert "not run" in abuse.table([row])[-1]
