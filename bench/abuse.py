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


@dataclass
class Visit:
    """What a case may use: the server (its url, pid, store folder) and a way to open a page as a fresh visitor."""
    server: AppServer
    database_url: str  # the server's store

    async def open(self, page: str = "", name: str = "attacker") -> StreamlitClient:
        client = StreamlitClient(self.server.url, name)
        await client.open(page, timeout=120)
        return client


Case = Callable[[Visit], Awaitable[Outcome]]
CASES: dict[str, Case] = {}


def attack(name: str) -> Callable[[Case], Case]:
    """Register a case under `name` (the table's first column)."""
    def register(case: Case) -> Case:
        CASES[name] = case
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


async def run_case(name: str, case: Case, visit: Visit, timeout: float) -> Row:
    pid = visit.server.pid
    before, start = process_rss_mb(pid), time.monotonic()
    with PeakRss(pid) as rss:
        try:
            outcome = await asyncio.wait_for(case(visit), timeout)
        except Exception as error:  # a case that could not finish is reported, and did not hold
            outcome = Outcome(f"{type(error).__name__}: {error}"[:120], False)
    after, seconds = process_rss_mb(pid), time.monotonic() - start
    bounded = rss.peak - before < MAX_GROWTH_MB and after - before < MAX_GROWTH_MB
    return Row(name, outcome.seen, before, rss.peak, after, seconds, outcome.held and bounded)


def table(rows: list[Row]) -> list[str]:
    lines = [f"{'case':<34} {'held':<5} {'RSS MB before/peak/after':<26} {'s':>6}  what the visitor saw",
             "-" * 120]
    for r in rows:
        lines.append(f"{r.case:<34} {'yes' if r.held else 'NO':<5} {r.before:7.0f} /{r.peak:6.0f} /{r.after:6.0f}"
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
        env = {"MLP_STATE_DIR": str(state_dir)}
        if args.database_url:
            env["MLP_DATABASE_URL"] = args.database_url
        if "MLP_DATA_DIR" in os.environ:
            env["MLP_DATA_DIR"] = os.environ["MLP_DATA_DIR"]
        server = AppServer(Path(folder) / "streamlit.log", env)
        try:
            visit = Visit(server, args.database_url or f"sqlite:///{state_dir / 'store.sqlite3'}")
            asyncio.run(warm_up(visit))
            rows = []
            for name, case in chosen.items():
                rows.append(asyncio.run(run_case(name, case, visit, args.timeout)))
                print(table(rows[-1:])[-1], flush=True)
        finally:
            server.stop()
    print("\n".join(["", *table(rows)]))
    print(f"\n{sum(r.held for r in rows)} of {len(rows)} held.")


if __name__ == "__main__":
    main()
