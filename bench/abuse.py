"""A hostile student against one server: each attack sent as a visitor can send it, and whether the server held.

    python bench/abuse.py                       # every case, against a fresh server on loopback
    python bench/abuse.py --cases canvas,zip    # the cases whose name contains one of these words

It starts `streamlit run app.py` on 127.0.0.1 (its own store in a temporary folder) and speaks Streamlit's
websocket as the browser does (bench/streamlit_client.py); uploads go over HTTP as the upload box sends them, with
the page's XSRF cookie. Nothing leaves this machine. For each case it prints what the visitor saw, the web
process's resident memory (RSS) before, at its highest while the case ran and after, the seconds it took, and
whether the server held: the attack refused in words, memory bounded (under MAX_GROWTH_MB more than before).

A new case is one async function taking a `Visit` (the server, its store, a way to open a page as a fresh visitor)
and returning an `Outcome` (what the visitor saw, whether it held), with `@attack("name")` above it; nothing else
to change. Payloads are small files that claim a lot, made here (png_bomb, many_members_zip, deflate_bomb...).
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import io
import json
import os
import re
import struct
import sys
import tempfile
import threading
import time
import uuid
import zipfile
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Awaitable, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import store as project_store  # noqa: E402  (imported now, while ROOT is first: bench/store.py is another module)
from classroom_server import AppServer, process_rss_mb  # noqa: E402
from streamlit_client import StreamlitClient  # noqa: E402

CANVAS = "drawable_canvas"  # part of the canvas component's name
MAX_GROWTH_MB = 200.0  # a case that leaves the web process this much larger, or peaks this much higher, did not hold
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
XSRF_COOKIE = "_streamlit_xsrf"


# ----- payloads, as an attacker makes them (small files that claim a lot) -----
def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@lru_cache(maxsize=4)  # made once: a case's seconds are the server's, not the payload's
def png_bomb(side: int = 9000) -> bytes:
    """A valid RGBA PNG of side x side black pixels: a few hundred KB that unpack to 4 * side**2 bytes and more
    (9000: 337 KB, 324 MB of pixels)."""
    row, packer = bytes(1 + 4 * side), zlib.compressobj(9)
    data = b"".join([packer.compress(row) for _ in range(side)] + [packer.flush()])
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def canvas_value(png: bytes, strokes: dict | None = None) -> str:
    """The canvas component's value as its front end sends it: {"drawing": {"raw": strokes, "data": PNG URL}}."""
    url = "data:image/png;base64," + base64.b64encode(png).decode()
    return json.dumps({"drawing": {"raw": strokes or {"version": "6.0.0", "objects": []}, "data": url}})


@lru_cache(maxsize=4)  # made once: a case's seconds are the server's, not the payload's
def many_members_zip(count: int = 100_000) -> bytes:
    """A .npz-named zip of `count` empty entries (100,000: 9 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for i in range(count):
            archive.writestr(f"{i}.npy", b"")
    return buffer.getvalue()


@lru_cache(maxsize=4)  # made once: a case's seconds are the server's, not the payload's
def deflate_bomb(megabytes: int = 300) -> bytes:
    """A zip holding one array header and `megabytes` MB of zeros, deflated to about a thousandth."""
    buffer = io.BytesIO()
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                                  "shape": (megabytes * 2**18,)})
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("W0.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            for _ in range(megabytes):
                member.write(bytes(2**20))
    return buffer.getvalue()


def pickle_npz() -> bytes:
    """A model-named archive whose array holds pickled Python objects."""
    buffer = io.BytesIO()
    np.savez(buffer, format=np.array([{"x": 1}], dtype=object))
    return buffer.getvalue()


def huge_weights_model(weight: float = 3e38) -> bytes:
    """A model file whose weights are finite but so large that every output overflows."""
    from mlp.config import TrainConfig
    from mlp.model import Model

    model = Model.create(TrainConfig(hidden=(16,)))
    model.network.params[:] = np.float32(weight)
    return model.to_bytes()


# ----- the harness -----
@dataclass
class Outcome:
    seen: str  # what the visitor saw, in short
    held: bool  # refused in words (or harmless), and nothing broke
    ran: bool = True  # False: the case could not be sent here (said in `seen`), so it neither held nor failed


@dataclass
class Visit:
    """What a case may use: the server (its url, pid, store folder) and a way to open a page as a fresh visitor."""
    server: AppServer
    database_url: str  # the server's store

    async def open(self, page: str = "", name: str = "attacker", query: str = "", address: str | None = None,
                   headers: dict[str, str] | None = None) -> StreamlitClient:
        client = StreamlitClient(self.server.url, name, address, headers)
        await client.open(page, timeout=120, query=query)
        return client

    @property
    def sqlite_file(self) -> Path | None:
        """The store's SQLite file (None: the store is PostgreSQL)."""
        return Path(self.database_url.removeprefix("sqlite:///")) if self.database_url.startswith("sqlite") else None

    def store(self):
        """The server's store, opened by this process as another server process would."""
        return project_store.Store(self.database_url)


Case = Callable[[Visit], Awaitable[Outcome]]
CASES: dict[str, Case] = {}


@dataclass(frozen=True)
class Bounds:
    """The web process's memory a case may add: at its highest (None: unbounded, as while runs train) and after."""
    peak_mb: float | None = MAX_GROWTH_MB
    after_mb: float = MAX_GROWTH_MB
    seconds: float | None = None  # the case's own time limit (None: --timeout)

    def kept(self, before: float, peak: float, after: float) -> bool:
        return (self.peak_mb is None or peak - before < self.peak_mb) and after - before < self.after_mb


BOUNDS: dict[str, Bounds] = {}


def attack(name: str, bounds: Bounds = Bounds()) -> Callable[[Case], Case]:
    """Register a case under `name` (the table's first column), with the memory it may add."""
    def register(case: Case) -> Case:
        CASES[name], BOUNDS[name] = case, bounds
        return case
    return register


class PeakRss:
    """The highest RSS of a process while the `with` block runs, sampled from another thread."""

    def __init__(self, pid: int, every: float = 0.05):
        self.pid, self.every, self.peak = pid, every, 0.0
        self._stop = threading.Event()

    def __enter__(self) -> "PeakRss":
        self.peak = process_rss_mb(self.pid)
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(self.every):  # a sampling period, not a stand-in for an event
            self.peak = max(self.peak, process_rss_mb(self.pid))

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, process_rss_mb(self.pid))


@dataclass
class Row:
    case: str
    seen: str
    before: float
    peak: float
    after: float
    seconds: float
    held: bool
    ran: bool = True


async def run_case(name: str, case: Case, visit: Visit, timeout: float) -> Row:
    pid, bounds = visit.server.pid, BOUNDS.get(name, Bounds())
    before, start = process_rss_mb(pid), time.monotonic()
    with PeakRss(pid) as rss:
        try:
            outcome = await asyncio.wait_for(case(visit), bounds.seconds or timeout)
        except Exception as error:  # a case that could not finish is reported, and did not hold
            outcome = Outcome(f"{type(error).__name__}: {error}"[:120], False)
    after, seconds = process_rss_mb(pid), time.monotonic() - start
    held = outcome.held and bounds.kept(before, rss.peak, after)
    return Row(name, outcome.seen, before, rss.peak, after, seconds, held, outcome.ran)


def table(rows: list[Row]) -> list[str]:
    lines = [f"{'case':<42} {'held':<7} {'RSS MB before/peak/after':<26} {'s':>6}  what the visitor saw",
             "-" * 130]
    for r in rows:
        held = ("yes" if r.held else "NO") if r.ran else "not run"
        lines.append(f"{r.case:<42} {held:<7} {r.before:7.0f} /{r.peak:6.0f} /{r.after:6.0f}"
                     f"{'':4} {r.seconds:6.1f}  {r.seen}")
    return lines


# ----- uploads, as the upload box sends them -----
UPLOAD_BOX = "Upload a network file"  # the Inspect page's upload box, by its label


async def upload(visit: Visit, client: StreamlitClient, name: str, content: bytes) -> int:
    """Put a file as the upload box does (HTTP, with the page's XSRF cookie), then hand it to the box's widget, so
    the page reads it; the HTTP status (413: refused by the server for its size)."""
    import requests
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    def put() -> tuple[int, str]:
        http, file_id = requests.Session(), str(uuid.uuid4())
        http.get(visit.server.url + "/_stcore/health", timeout=30).raise_for_status()
        address = f"{visit.server.url}/_stcore/upload_file/{client.session_id}/{file_id}"
        answer = http.put(address, files={"file": (name, content)},
                          headers={"X-Xsrftoken": http.cookies.get(XSRF_COOKIE, "")}, timeout=300)
        return answer.status_code, file_id

    status, file_id = await asyncio.to_thread(put)
    if status not in (200, 204):
        return status
    state = WidgetState()
    info = state.file_uploader_state_value.uploaded_file_info.add()
    info.file_id, info.name, info.size = file_id, name, len(content)
    info.file_urls.file_id = file_id
    info.file_urls.upload_url = info.file_urls.delete_url = f"/_stcore/upload_file/{client.session_id}/{file_id}"
    await client.set_widget(UPLOAD_BOX, state)
    return status


REFUSED_FILE, LOADED_FILE = "This file cannot be used", "is loaded"


async def upload_outcome(visit: Visit, name: str, content: bytes, expected: str) -> Outcome:
    """Upload `content` on Inspect as a fresh visitor; held when the page refuses it in words holding `expected`."""
    client = await visit.open("Inspect")
    try:
        sent = time.monotonic()
        status = await upload(visit, client, name, content)
        if status not in (200, 204):
            return Outcome(f"HTTP {status} for the upload", status == 413 and expected == "413")
        await client.wait_for(lambda: client.shows(REFUSED_FILE, sent) or client.shows(LOADED_FILE, sent)
                              or client.log.errors, 180, "the page to read the file")
        said = next((t for t in client.texts(sent) if REFUSED_FILE in t or LOADED_FILE in t),
                    "; ".join(client.log.errors))
        return Outcome(said.replace("\\", "")[:110], expected in said.replace("\\", ""))
    finally:
        await client.close()


# ----- the cases -----
DRAW_REFUSED = "This drawing was not read"


@attack("canvas PNG bomb 9000x9000")
async def canvas_bomb(visit: Visit) -> Outcome:
    client = await visit.open("Draw")
    try:
        sent = time.monotonic()
        await client.set_component(CANVAS, canvas_value(png_bomb(9000)))
        await client.wait_for(lambda: client.shows(DRAW_REFUSED, sent) or client.log.errors, 120, "a refusal")
        said = next((t for t in client.texts(sent) if DRAW_REFUSED in t), "; ".join(client.log.errors))
        return Outcome(said[:110], DRAW_REFUSED in said)
    finally:
        await client.close()


@attack("3 canvas PNG bombs at once")
async def three_canvas_bombs(visit: Visit) -> Outcome:
    outcomes = await asyncio.gather(*(canvas_bomb(visit) for _ in range(3)))
    return Outcome(f"{sum(o.held for o in outcomes)} of 3 refused: {outcomes[0].seen[:80]}",
                   all(o.held for o in outcomes))


def black_png() -> bytes:
    from PIL import Image

    png = io.BytesIO()
    Image.new("RGBA", (280, 280), (0, 0, 0, 255)).save(png, "PNG")
    return png.getvalue()


@attack("canvas strokes of 1.2 MB")
async def canvas_big_strokes(visit: Visit) -> Outcome:
    strokes = {"version": "6.0.0", "objects": [{"type": "path", "path": [["L", i, i] for i in range(60_000)]}]}
    png = black_png()
    client = await visit.open("Draw")
    try:
        sent = time.monotonic()
        await client.set_component(CANVAS, canvas_value(png, strokes))
        await client.wait_for(lambda: client.shows("Draw a digit in the black square", sent) or client.log.errors,
                              120, "the page to answer")
        return Outcome("an empty drawing; its strokes are not kept" if not client.log.errors
                       else "; ".join(client.log.errors)[:110], not client.log.errors)
    finally:
        await client.close()


@attack("canvas value of 24 MB of JSON lists")
async def canvas_json_flood(visit: Visit) -> Outcome:
    value = '{"drawing": {"raw": {"objects": [' + "[]," * 8_000_000 + '[]]}, "data": null}}'
    client = await visit.open("Draw")
    try:
        await client.set_component(CANVAS, value)
        await client.wait_for(lambda: client.log.errors, 120, "the server to close the connection")
        return Outcome(f"disconnected before parsing: {client.log.errors[0]}"[:110], "1009" in client.log.errors[0])
    finally:
        await client.close()


@attack("canvas values no canvas sends")
async def odd_canvas_values(visit: Visit) -> Outcome:
    """JSON of every shape in the canvas's place: the page refuses each in words, never with an exception."""
    values = [{"drawing": "x"}, {"drawing": {"raw": 5, "data": "no data URL"}}, {"drawing": {"data": 7}},
              {"drawing": {"raw": [], "data": "data:image/png;base64,@@@"}}, {"drawing": {"data": "data:;base64,QQ="}}]
    client = await visit.open("Draw")
    try:
        refused = 0
        for value in values:
            sent = time.monotonic()
            await client.set_component(CANVAS, json.dumps(value))
            await client.wait_for(lambda: client.shows(DRAW_REFUSED, sent) or client.log.errors, 60, "a refusal")
            refused += client.shows(DRAW_REFUSED, sent)
        return Outcome(f"{refused} of {len(values)} refused in words; errors: {client.log.errors[:1]}"[:110],
                       refused == len(values) and not client.log.errors)
    finally:
        await client.close()


@attack("workspace rows from 20 visits")
async def empty_visits(visit: Visit) -> Outcome:
    import sqlalchemy as sa  # (not the project's store package: bench/store.py shadows it where bench/ comes first)

    url = visit.database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = sa.create_engine(url)

    def rows() -> int:
        with engine.connect() as db:  # the server made the table on the warm-up's first page
            return db.execute(sa.text("SELECT count(*) FROM workspaces")).scalar_one()

    first = rows()
    for i in range(20):
        client = await visit.open("", f"visitor {i}")
        await client.close()
    made = rows() - first
    engine.dispose()
    return Outcome(f"{made} workspace rows written by 20 visits that saved nothing", made == 0)


@attack("upload: zip of 100,000 empty entries")
async def crowded_upload(visit: Visit) -> Outcome:
    return await upload_outcome(visit, "crowded.npz", many_members_zip(100_000), "entries (")


@attack("3 crowded uploads, another visitor")
async def crowded_uploads_and_a_visitor(visit: Visit) -> Outcome:
    """Three attackers upload at once while a student opens the Train page: how long that student waits."""
    content = many_members_zip(100_000)
    attackers = [asyncio.create_task(upload_outcome(visit, "crowded.npz", content, "entries ("))
                 for _ in range(3)]
    await asyncio.sleep(0.5)  # the uploads under way: the student arrives meanwhile (a moment, not an event)
    start = time.monotonic()
    student = await visit.open("Train", "student")
    waited = time.monotonic() - start
    await student.close()
    outcomes = await asyncio.gather(*attackers)
    return Outcome(f"{sum(o.held for o in outcomes)} of 3 refused; the student's page took {waited:.1f} s",
                   all(o.held for o in outcomes) and waited < 10)


@attack("upload: 300 MB of zeros deflated")
async def deflated_upload(visit: Visit) -> Outcome:
    return await upload_outcome(visit, "bomb.npz", deflate_bomb(300), "unpacks to 300 MB")


@attack("upload: pickled objects")
async def pickle_upload(visit: Visit) -> Outcome:
    return await upload_outcome(visit, "pickle.npz", pickle_npz(), "pickled Python objects")


@attack("upload: 30 MB, over the limit")
async def oversized_upload(visit: Visit) -> Outcome:
    return await upload_outcome(visit, "big.npz", os.urandom(30 * 2**20), "413")


@attack("upload: weights of 3e38")
async def overflowing_upload(visit: Visit) -> Outcome:
    client = await visit.open("Inspect")
    try:
        sent = time.monotonic()
        await upload(visit, client, "huge.npz", huge_weights_model(3e38))
        words = "outputs are not numbers"
        await client.wait_for(lambda: client.shows(words, sent) or client.shows("Test accuracy", sent)
                              or client.log.errors, 180, "the page to read the network")
        said = next((t for t in client.texts(sent) if words in t), "the network's accuracy was shown")
        return Outcome(said[:110], words in said)
    finally:
        await client.close()


@attack("class name: script, NUL, bidi")
async def hostile_class_name(visit: Visit) -> Outcome:
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    client = await visit.open("Class")
    try:
        name = "<script>alert(1)</script>\x00[x](http://evil.example)\u202eevil"
        await client.set_widget("Class name", WidgetState(string_value=name))
        sent = time.monotonic()
        await client.click("Create a class")
        ends = ("created.", "Saved work cannot", "Saved work is")
        await client.wait_for(lambda: any(client.shows(end, sent) for end in ends) or client.log.errors, 60,
                              "the class to be made")
        said = next((t for t in client.texts(sent) if any(end in t for end in ends)), "")
        shown = "".join(client.texts(sent))
        safe = "<script>" not in shown and "](http" not in shown and "\x00" not in shown and "\u202e" not in shown
        return Outcome(said[:110], "created." in said and safe and not client.log.errors)
    finally:
        await client.close()


# ----- training, the store, the class board -----
TINY_RUN = "hidden=16&epochs=1&classes=1%2C9&per_class=300"  # a run of a few seconds: something saved
LONG_RUN = "hidden=16&epochs=30&classes=1%2C9&per_class=300"  # one stopped by hand, long before it would end
STARTED = ("### Starting", "### Training", "### Finished")  # a run's status once it holds a worker
# Runs given workers at one moment are seen starting up to a page refresh apart (the Train page polls every 0.5 s,
# slower under load): two of the attacker's runs end together, the student takes one worker, the next queued run the
# other, and either page may say so first. A queued run seen starting this much earlier did go first.
SEEN_TOGETHER = 3.0
RUN_MINUTES = "0.5"  # the harness server's MLP_MAX_RUN_MINUTES: its largest run is short enough to wait out here
SHORTER = ("hidden=1024,1024&batch_size=2000&epochs=1", "hidden=512,512&batch_size=1000&epochs=1",
           "hidden=512,256&epochs=1", "epochs=1")  # after fair_queue.LARGEST, for a server of short runs


def address_query(client: StreamlitClient) -> dict[str, str]:
    """The page address's query parameters as the visitor's browser now shows them."""
    from urllib.parse import parse_qsl

    return dict(parse_qsl(client.query_string))


async def train(visit: Visit, query: str, name: str = "student", **how) -> StreamlitClient:
    """A visitor on Train with `query`'s settings who presses Start; back once the run holds a worker."""
    import fair_queue

    client = await visit.open("Train", name, query=query, **how)
    await client.click(fair_queue.START)
    await client.wait_for(lambda: fair_queue.status(client).startswith(STARTED), 120, "the run to start")
    return client


async def finished(client: StreamlitClient, timeout: float = 120) -> None:
    import fair_queue

    await client.wait_for(lambda: fair_queue.status(client).startswith("### Finished"), timeout, "the run's end")


def secrets_in_text(words: str) -> list[str]:
    """What of a store path or an address a visitor must not be shown: each kind found."""
    return [kind for kind, needle in (("a path", "/tmp/"), ("a path", "sqlite3"), ("a URL", "://")) if needle in words]


@attack("one visitor's 20 sessions of the largest run", Bounds(peak_mb=None, after_mb=300, seconds=480))
async def one_visitor_twenty_sessions(visit: Visit) -> Outcome:
    """bench/fair_queue.py's attack: 20 fresh workspaces from one address, each starting the largest run the server
    allows; a student on another address starts a run meanwhile. Held: the student got a worker before every run
    the attacker had in line, and the web process came back within 300 MB once every session closed."""
    import fair_queue

    url, pid = visit.server.url, visit.server.pid
    before = process_rss_mb(pid)
    query = await fair_queue.largest_allowed(url, (*fair_queue.LARGEST, *SHORTER))
    attackers = await fair_queue.attack(url, 20, query)
    queued = [c for c in attackers if fair_queue.PLACE.match(fair_queue.status(c))]
    started: dict[str, float] = {}

    async def note_start(client: StreamlitClient) -> None:
        await client.wait_for(lambda: fair_queue.status(client).startswith(STARTED), 600, "a worker")
        started[client.name] = time.monotonic()

    watchers = [asyncio.create_task(note_start(c)) for c in queued]
    who, student = await fair_queue.student(url, fair_queue.Student("student", fair_queue.STUDENT), 180)
    for task in watchers:
        task.cancel()
    await asyncio.gather(*watchers, return_exceptions=True)
    await asyncio.gather(*(c.close() for c in [*attackers, student]))
    closed = time.monotonic()
    while process_rss_mb(pid) - before >= 300 and time.monotonic() - closed < 300:  # fair_queue's settle time
        await asyncio.sleep(1)  # sampling memory: nothing tells from outside when the process gives it back
    settled = time.monotonic() - closed
    leads = [who.started - t for t in started.values() if who.started and t < who.started]
    ahead = [lead for lead in leads if lead > SEEN_TOGETHER]
    said = (f"/Train?{query} x20: {len(queued)} in line; the other address {fair_queue.ordinal(who.place)} in line, "
            f"a worker after {fair_queue.seconds(who.waited)}; queued runs seen first: {len(ahead)} "
            f"(+{len(leads) - len(ahead)} within {SEEN_TOGETHER:.0f} s); memory back in {settled:.0f} s")
    return Outcome(said, who.started is not None and who.place <= 1 and not ahead and not who.notes)


@attack("store file deleted while the server runs")
async def store_file_deleted(visit: Visit) -> Outcome:
    """A visitor's saved run, then the SQLite file deleted: the visitor's next page says its saved work was lost in
    words (no path, no address), and the file is back with the workspace and its run in it."""
    path = visit.sqlite_file
    if path is None:
        return Outcome("not run: the store is PostgreSQL (no file to delete)", False, ran=False)
    client = await train(visit, TINY_RUN)
    try:
        await finished(client)
        await client.wait_for(lambda: "w" in address_query(client), 30, "the workspace in the address")
        workspace = address_query(client)["w"]
        path.unlink()
        sent = time.monotonic()
        await client.rerun()
        lost = "Saved work was lost on the server"
        await client.wait_for(lambda: client.shows(lost, sent) or client.log.errors, 60, "the loss said")
        said = next((t for t in client.texts(sent) if lost in t), "; ".join(client.log.errors))
        leaks = secrets_in_text(" ".join(client.texts(sent)))
        back = path.exists()
        rows = []
        if back:
            store = visit.store()
            try:
                rows = store.runs(workspace, networks=False) if store.workspace_exists(workspace) else []
            finally:
                store.close()
        again = re.search(r"saved again: [^,.]+", said)
        seen = (f"said '{lost}', '{again[0] if again else 'nothing saved again'}'; file back: {back}, its runs: "
                f"{len(rows)}"
                + (f"; shows {', '.join(leaks)}" if leaks else ""))
        return Outcome(seen, lost in said and not leaks and back and len(rows) == 1)
    finally:
        await client.close()


@attack("store folder unwritable, then writable again")
async def store_folder_unwritable(visit: Visit) -> Outcome:
    """A run ends while the store's folder is immutable (chattr +i, which root obeys too): the page says its work is
    not saved yet; the tab is closed; once the folder is writable again, the server writes the run by itself."""
    import subprocess

    path = visit.sqlite_file
    if path is None or os.geteuid() != 0:
        return Outcome("not run: needs an SQLite store and root (chattr +i)", False, ran=False)
    client = await train(visit, LONG_RUN)
    workspace = address_query(client).get("w", "")
    frozen = subprocess.run(["chattr", "+i", str(path.parent)], capture_output=True, text=True)
    if frozen.returncode:
        await client.close()
        return Outcome(f"not run: chattr +i refused ({frozen.stderr.strip()[:60]})", False, ran=False)
    try:
        sent = time.monotonic()
        await client.click("Stop")
        words = "is not saved yet"
        await client.wait_for(lambda: client.shows(words, sent) or client.log.errors, 120, "the page to say so")
        said = next((t for t in client.texts(sent) if words in t), "; ".join(client.log.errors))
        leaks = secrets_in_text(said)
        await client.close()
    finally:
        subprocess.run(["chattr", "-i", str(path.parent)], check=True)
    writable = time.monotonic()
    landed = None
    while landed is None and time.monotonic() - writable < 30:
        store = visit.store()
        try:
            rows = store.runs(workspace, networks=False) if workspace else []
        finally:
            store.close()
        if rows and all(row.status != "running" for row in rows):
            landed = time.monotonic() - writable
        else:
            await asyncio.sleep(0.5)  # polling another process's write: the store has no event to wait on
    seen = (f"said '{words}': " + said.replace("*", "").replace("\\", "")[:45] + (f"; landed {landed:.0f} s after, tab closed" if landed is not None
                                          else "; not landed in 30 s") + (f"; shows {', '.join(leaks)}" if leaks else ""))
    return Outcome(seen, words in said and not leaks and landed is not None)


async def create_class(visit: Visit, name: str) -> tuple[StreamlitClient, str, str]:
    """A teacher who makes a class on the Class page: the teacher's session, its teacher secret and the join code."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    teacher = await visit.open("Class", "teacher")
    await teacher.set_widget("Class name", WidgetState(string_value=name))
    await teacher.click("Create a class")
    await teacher.wait_for(lambda: "teacher" in address_query(teacher), 60, "the teacher link in the address")
    secret = address_query(teacher)["teacher"]
    store = visit.store()
    try:
        room = project_store.Classes(store).by_teacher(secret)
    finally:
        store.close()
    return teacher, secret, room.code


@attack("secrets on the projector")
async def projector_secrets(visit: Visit) -> Outcome:
    """The Board's projector view, opened by a fresh visitor and by the teacher's own browser with its workspace and
    teacher link in the address: nothing on the page nor left in the address holds either secret."""
    from ui.saving.workspace import COOKIE

    teacher, secret, code = await create_class(visit, "Projected class")
    await teacher.close()
    store = visit.store()
    try:
        workspace = store.create_workspace()  # the work the teacher's browser remembers (its cookie)
    finally:
        store.close()
    fresh = await visit.open("Board", "projector", query=f"projector={code}")
    own = await visit.open("Board", "teacher's projector", query=f"projector={code}&teacher={secret}&w={workspace}",
                           headers={"Cookie": f"{COOKIE}={workspace}"})
    try:
        found = []
        for client in (fresh, own):
            await client.wait_for(lambda c=client: c.shows(code), 60, "the join code")
            everything = "".join(str(element) for _, element, _ in client.elements.values())
            shown = [kind for kind, value in (("workspace id", workspace), ("teacher secret", secret))
                     if value and value in everything]
            kept = [name for name in ("w", "teacher") if name in address_query(client)]
            found += [f"{client.name}: {kind} on the page" for kind in shown]
            found += [f"{client.name}: {name}= in the address" for name in kept]
        seen = "; ".join(found) or (f"join code {code} shown; no workspace id nor teacher secret on the page or "
                                    "in the address, fresh or teacher's browser")
        return Outcome(seen[:110], not found)
    finally:
        await fresh.close()
        await own.close()


@attack("board hover after a rename")
async def board_after_rename(visit: Visit) -> Outcome:
    """A student's posted run renamed on Compare: the Board's chart (the figure JSON its page receives) names it
    anew, never by its old name (a figure cached by post ids once kept the old one server-wide)."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    teacher, _secret, code = await create_class(visit, "Renaming class")
    await teacher.close()
    store = visit.store()
    try:
        workspace = store.create_workspace()
        project_store.Classes(store).join(code, workspace, "Ada")
    finally:
        store.close()
    student = await train(visit, f"w={workspace}&{TINY_RUN}")
    await finished(student)
    await student.rerun()  # the student's next click: the page that keeps the ended run posts it

    def figures(client: StreamlitClient) -> str:
        return "".join(e.spec for kind, e, _ in client.elements.values() if kind == "plotly_chart")

    board = await visit.open("Board", "board", query=f"w={workspace}")
    compare = None
    try:
        await board.wait_for(lambda: "Run 1" in figures(board), 60, "the posted run in the chart")
        await student.close()
        compare = await visit.open("Compare", "student", query=f"w={workspace}")
        old = "Run 1"
        new = "Renamed by Ada"
        await compare.set_widget("New name", WidgetState(string_value=new))
        await compare.click("Rename")
        await compare.wait_for(lambda: compare.shows(new), 60, "the new name on Compare")
        await board.wait_for(lambda: new in figures(board), 90, "the chart to name the run anew")
        return Outcome(f"the board's chart names the run {new!r}; its old name gone: {old not in figures(board)}",
                       new in figures(board))
    finally:
        await asyncio.gather(*(c.close() for c in (student, board, compare) if c is not None))


@attack("fatal signal leaves a log line")
async def fatal_signal(visit: Visit) -> Outcome:
    """SIGSEGV sent to a second, short-lived server (a crash in native code): its log must say so with the Python
    stack (faulthandler), not end in silence. Defined last, so run last: it starts a server of its own."""
    import signal

    folder = Path(tempfile.mkdtemp(prefix="abuse-crash-"))
    env = {"MLP_STATE_DIR": str(folder), **{k: os.environ[k] for k in ("MLP_DATA_DIR",) if k in os.environ}}
    server = await asyncio.to_thread(AppServer, folder / "streamlit.log", env)
    try:
        first = StreamlitClient(server.url, "first visitor")  # the app sets up its logging on its first page
        await first.open("", timeout=120)
        await first.close()
        os.kill(server.pid, signal.SIGSEGV)
        code = await asyncio.to_thread(server.process.wait, 30)
    finally:
        server.stop()
    log = (folder / "streamlit.log").read_text(errors="replace")
    said = "Fatal Python error" in log
    line = next((l for l in log.splitlines() if "Fatal Python error" in l), "no 'Fatal Python error' in the log")
    return Outcome(f"exit {code}; log: {line.strip()[:80]}", said)


async def warm_up(visit: Visit) -> None:
    """Every page the cases use, once, and the largest payloads made: the server's first visits load MNIST and the
    pages' modules, and the payloads take seconds to make, which no case should be charged for."""
    png_bomb(9000), many_members_zip(100_000), deflate_bomb(300)
    for page in ("", "Train", "Draw", "Inspect", "Class"):
        client = await visit.open(page, "warm-up")
        await client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", default="", help="comma-separated words: run only the cases whose name has one")
    parser.add_argument("--timeout", type=float, default=240, help="seconds a case may take")
    parser.add_argument("--database-url", default="", help="the store to use (a PostgreSQL URL); default: SQLite in "
                        "a temporary folder")
    args = parser.parse_args()
    words = [w.strip().lower() for w in args.cases.split(",") if w.strip()]
    chosen = {name: case for name, case in CASES.items() if not words or any(w in name.lower() for w in words)}
    with tempfile.TemporaryDirectory(prefix="abuse-") as folder:
        state_dir = Path(folder) / "state"
        env = {"MLP_STATE_DIR": str(state_dir), "MLP_MAX_RUN_MINUTES": RUN_MINUTES}
        if args.database_url:
            env["MLP_DATABASE_URL"] = args.database_url
        if "MLP_DATA_DIR" in os.environ:
            env["MLP_DATA_DIR"] = os.environ["MLP_DATA_DIR"]
        server = AppServer(Path(folder) / "streamlit.log", env)
        try:
            visit = Visit(server, args.database_url or f"sqlite:///{state_dir / 'store.sqlite3'}")
            asyncio.run(warm_up(visit))
            rows, loads = [], [os.getloadavg()[0]]
            for name, case in chosen.items():
                rows.append(asyncio.run(run_case(name, case, visit, args.timeout)))
                loads.append(os.getloadavg()[0])
                print(table(rows[-1:])[-1], flush=True)
        finally:
            server.stop()
    print("\n".join(["", *table(rows)]))
    ran = [r for r in rows if r.ran]
    print(f"\n{sum(r.held for r in ran)} of {len(ran)} held ({len(rows) - len(ran)} not run here); "
          f"{os.cpu_count()} CPUs, 1-minute load average {min(loads):.1f} to {max(loads):.1f} during the run.")


if __name__ == "__main__":
    main()
