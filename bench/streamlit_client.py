"""A browser stand-in for load tests: one Streamlit session over the app's websocket, no browser.

It speaks what Streamlit's own front end sends: the first `rerun_script` names the page (its URL
path), later ones carry the page's script hash from the `navigation` message; a click is a rerun
whose widget states hold `trigger_value=True` for the button's id; a custom component's value is
a `json_value` kept and re-sent with every rerun, as the browser's widget manager does; each
`auto_rerun` (a fragment with `run_every`) is answered at its interval, blindly, like the
browser's `setInterval`, until a `stop_auto_rerun` names that fragment or a full (not fragment)
script run starts (its `new_session` clears every interval in the browser too). Widgets are
found by their label in the delta messages, never by a hard-coded id.
"""
from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

# Where each element type keeps the text a reader sees (the first non-empty field wins).
TEXT_FIELDS = {
    "markdown": ("body",), "alert": ("body",), "heading": ("body",), "text": ("body",),
    "progress": ("text",), "metric": ("label", "body"), "button": ("label",), "page_link": ("label",),
    "exception": ("type", "message"), "code": ("code_text",),
}
# Element types that are widgets a student can press, and the fields naming them.
BUTTONS = ("button",)
INPUTS = ("file_uploader", "text_input")  # widgets a student fills in (found by label, like buttons)
MAX_MESSAGE = 64 * 1024 * 1024  # a Plotly figure with every curve point is a few hundred KB


@dataclass
class Widget:
    """A widget as the page last showed it: its id, its label, and the fragment it lives in."""
    id: str
    label: str
    kind: str
    fragment_id: str = ""
    disabled: bool = False


@dataclass
class SessionLog:
    """What a student saw: when the page changed, the longest wait between changes, what broke."""
    updates: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sent: int = 0
    received: Counter = field(default_factory=Counter)  # message kind -> how many arrived

    def longest_gap(self, start: float, end: float) -> float:
        """The longest stretch in [start, end] without a page update (the end counts as one)."""
        return self.longest_gap_at(start, end)[0]

    def longest_gap_at(self, start: float, end: float) -> tuple[float, float]:
        """The longest stretch in [start, end] without a page update, and when it began."""
        times = [start] + [t for t in self.updates if start <= t <= end] + [end]
        return max(((b - a, a) for a, b in zip(times, times[1:])), default=(0.0, start))


class StreamlitClient:
    """One session: `open(page)`, `click(label)`, `set_component(name, value)`, `wait_for(...)`. It connects from
    `local_address` (any 127.x.y.z on Linux's loopback) if given: the server, or nginx, sees another client; with
    `headers` added to its websocket handshake (what a script may forge, such as X-Forwarded-For)."""

    def __init__(self, base_url: str, name: str = "client", local_address: str | None = None,
                 headers: dict[str, str] | None = None):
        self.ws_url = base_url.replace("http://", "ws://").rstrip("/") + "/_stcore/stream"
        self.name = name
        self.local_address = local_address
        self.headers = headers or {}
        self.log = SessionLog()
        self.page_hash = ""
        self.query_string = ""  # the page address's query, as the browser sends it with every rerun
        self.elements: dict[tuple[int, ...], tuple[str, object, float]] = {}  # delta path -> (type, element, when)
        self.widgets: dict[str, Widget] = {}  # label -> widget
        self.components: dict[str, Widget] = {}  # component name -> widget
        self.states: dict[str, WidgetState] = {}  # widget id -> value re-sent with every rerun
        self.script_runs = 0  # script_finished messages seen
        self.session_id = ""  # the server's name for this session (upload addresses name it)
        self.closed = asyncio.Event()
        self._changed = asyncio.Event()
        self._reruns: dict[str, asyncio.Task] = {}
        self._socket = None
        self._closing = False
        self._reader: asyncio.Task | None = None

    # ----- connection -----
    async def connect(self) -> None:
        where = {"local_addr": (self.local_address, 0)} if self.local_address else {}
        self._socket = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=MAX_MESSAGE,
                                                open_timeout=60, ping_timeout=None, additional_headers=self.headers,
                                                **where)
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        self._closing = True
        for task in self._reruns.values():
            task.cancel()
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            await asyncio.gather(self._reader, return_exceptions=True)

    async def _read(self) -> None:
        try:
            async for data in self._socket:
                message = ForwardMsg()
                message.ParseFromString(data)
                self._handle(message)
        except websockets.ConnectionClosedError as error:
            if not self._closing:
                self.log.errors.append(f"disconnected: {error}")
        else:
            if not self._closing:
                self.log.errors.append(f"disconnected: the server closed the socket ({self._socket.close_code})")
        finally:
            self.closed.set()
            self._changed.set()

    # ----- what the server sends -----
    def _handle(self, message: ForwardMsg) -> None:
        kind = message.WhichOneof("type")
        self.log.received[kind] += 1
        if kind == "delta":
            self.log.updates.append(time.monotonic())
            self._on_delta(message)
        elif kind == "new_session":
            self.session_id = message.new_session.initialize.session_id or self.session_id
            if not message.metadata.run.fragment_ids:
                self._stop_auto_reruns(list(self._reruns))  # a full run: the browser clears every interval
        elif kind == "navigation":
            self.page_hash = message.navigation.page_script_hash
        elif kind == "page_info_changed":  # the app set the address's query: the browser shows it and sends it back
            self.query_string = message.page_info_changed.query_string
        elif kind == "script_finished":
            self.script_runs += 1
        elif kind == "auto_rerun":
            self._start_auto_rerun(message.auto_rerun.fragment_id, message.auto_rerun.interval)
        elif kind == "stop_auto_rerun":
            self._stop_auto_reruns(message.stop_auto_rerun.fragment_ids)
        self._changed.set()

    def _stop_auto_reruns(self, fragment_ids: list[str]) -> None:
        for fragment_id in fragment_ids:
            task = self._reruns.pop(fragment_id, None)
            if task is not None:
                task.cancel()

    def _on_delta(self, message: ForwardMsg) -> None:
        delta = message.delta
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        inner = getattr(element, kind)
        self.elements[tuple(message.metadata.delta_path)] = (kind, inner, time.monotonic())
        if kind in BUTTONS or kind in INPUTS:
            self.widgets[inner.label] = Widget(inner.id, inner.label, kind, delta.fragment_id, inner.disabled)
        elif kind == "bidi_component":
            self.components[inner.component_name] = Widget(inner.id, inner.component_name, kind, delta.fragment_id)
        elif kind == "exception":
            self.log.errors.append(f"exception: {inner.type}: {inner.message}")

    def _start_auto_rerun(self, fragment_id: str, interval: float) -> None:
        task = self._reruns.get(fragment_id)
        if task is not None and not task.done():
            if getattr(task, "interval", None) == interval:
                return  # the browser ignores a repeat of the same interval
            task.cancel()
        task = asyncio.create_task(self._auto_rerun(fragment_id, interval))
        task.interval = interval
        self._reruns[fragment_id] = task

    async def _auto_rerun(self, fragment_id: str, interval: float) -> None:
        while not self.closed.is_set():
            await asyncio.sleep(interval)  # the browser's setInterval: the period is the event here
            await self._rerun(fragment_id=fragment_id, auto=True)

    # ----- what a student does -----
    async def _rerun(self, triggers: tuple[WidgetState, ...] = (), fragment_id: str = "",
                     auto: bool = False, page_name: str = "", query: str = "") -> None:
        message = BackMsg()
        client = message.rerun_script
        client.page_script_hash = self.page_hash
        client.page_name = page_name
        client.query_string = query or self.query_string  # this rerun's own address, else the page's
        client.fragment_id = fragment_id
        client.is_auto_rerun = auto
        client.widget_states.widgets.extend([*self.states.values(), *triggers])
        if self.closed.is_set():
            return
        try:
            await self._socket.send(message.SerializeToString())
            self.log.sent += 1
        except websockets.ConnectionClosed:
            self.closed.set()

    async def open(self, page: str = "", timeout: float = 120, query: str = "") -> None:
        """Connect and run `page` (its URL path, e.g. "Train"; "" for Home), with the address's `query` (e.g.
        "epochs=20", as after the page's "?"), until its script finishes."""
        await self.connect()
        runs = self.script_runs
        self.query_string = query or self.query_string  # the address bar holds what was opened
        await self._rerun(page_name=page, query=query)
        await self.wait_for(lambda: self.script_runs > runs and self.page_hash, timeout, f"page {page!r} to load")

    async def rerun(self) -> None:
        """Run the page again with what it holds, as any click or reload of it does."""
        await self._rerun()

    async def click(self, label: str, timeout: float = 60) -> None:
        """Press the button labelled `label` once it is shown and enabled."""
        await self.wait_for(lambda: label in self.widgets and not self.widgets[label].disabled, timeout,
                            f"an enabled button {label!r}")
        button = self.widgets[label]
        await self._rerun((WidgetState(id=button.id, trigger_value=True),), fragment_id=button.fragment_id)

    async def set_component(self, name_part: str, json_value: str, timeout: float = 60) -> None:
        """Give the custom component whose name contains `name_part` a new value, as its front end would."""
        await self.wait_for(lambda: self._component(name_part) is not None, timeout, f"a component {name_part!r}")
        widget = self._component(name_part)
        self.states[widget.id] = WidgetState(id=widget.id, json_value=json_value)
        await self._rerun(fragment_id=widget.fragment_id)

    async def set_widget(self, label_part: str, state: WidgetState, timeout: float = 60) -> None:
        """Give the widget whose label contains `label_part` a value (`state` without its id), kept and re-sent with
        every rerun as the browser's widget manager does: a text typed in, the files of an upload box."""
        await self.wait_for(lambda: self._widget(label_part) is not None, timeout, f"a widget {label_part!r}")
        widget = self._widget(label_part)
        state.id = widget.id
        self.states[widget.id] = state
        await self._rerun(fragment_id=widget.fragment_id)

    def _widget(self, label_part: str) -> Widget | None:
        return next((w for label, w in self.widgets.items() if label_part in label), None)

    def _component(self, name_part: str) -> Widget | None:
        return next((w for name, w in self.components.items() if name_part in name), None)

    # ----- reading the page -----
    def texts(self, since: float = 0.0) -> list[str]:
        """Every text the page shows, in delta order (a rerun overwrites its slots); only those sent
        at or after `since` (a `time.monotonic()` value) if given."""
        found = []
        for kind, element, when in self.elements.values():
            if when < since:
                continue
            value = next((getattr(element, name) for name in TEXT_FIELDS.get(kind, ()) if getattr(element, name)), "")
            if value:
                found.append(value)
        return found

    def shows(self, needle: str, since: float = 0.0) -> bool:
        return any(needle in text for text in self.texts(since))

    async def wait_for(self, condition: Callable[[], object], timeout: float, what: str = "a condition") -> None:
        """Wait until `condition()` is true after some message; TimeoutError naming `what` if not in time."""
        end = time.monotonic() + timeout
        while not condition():
            if self.closed.is_set():
                raise ConnectionError(f"{self.name}: the server closed the connection while waiting for {what}")
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.name}: no {what} within {timeout:.0f} s")
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass
