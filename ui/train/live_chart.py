"""The Train page's live chart, updated in place while a run grows.

st.plotly_chart cannot do this: Streamlit 1.67 hashes the whole figure into the chart's element id,
even when it has a key, and the browser keys the chart by that id, so every poll that brings new
points replaces the chart (a zoom is lost, and the chart is redrawn from nothing). Here a component
with a fixed key stays on the page and calls Plotly.react with each new figure; Plotly then keeps
the user's zoom for as long as the figure's `uirevision` (one per run) stays the same.
"""
from __future__ import annotations

import atexit
import json
import shutil
import tempfile
from pathlib import Path

import plotly
import streamlit.components.v1 as components

_INDEX = """<!doctype html>
<html><head><meta charset="utf-8"><script src="plotly.min.js"></script>
<style>html, body { margin: 0; font-family: "Source Sans Pro", sans-serif; }</style></head>
<body><div id="chart"></div><script>
const send = (type, extra) => window.parent.postMessage({isStreamlitMessage: true, type, ...extra}, "*");
window.addEventListener("message", (event) => {
  if (event.data.type !== "streamlit:render") return;
  const figure = JSON.parse(event.data.args.figure);
  Plotly.react("chart", figure.data, figure.layout, {displaylogo: false, responsive: true})
    .then(() => send("streamlit:setFrameHeight", {height: document.body.scrollHeight}));
});
send("streamlit:componentReady", {apiVersion: 1});
</script></body></html>
"""


def _served_folder() -> Path:
    """A private folder holding the page above and Plotly's own script, which Streamlit serves to the
    component's frame: no network, the same Plotly as the Python side. Made once per server process
    (mode 0700, so no other user can put a page of their own in it) and removed when the process ends."""
    folder = Path(tempfile.mkdtemp(prefix="mlp-playground-live-chart-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "index.html").write_text(_INDEX, encoding="utf-8")
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", folder / "plotly.min.js")
    return folder


_component = components.declare_component("live_chart", path=str(_served_folder()))


def live_chart(figure: dict, key: str) -> None:
    """Show `figure` (a Plotly figure as plain data: ui.train.figures.training_figure_data); a later call with
    the same `key` updates the same chart rather than a new one."""
    _component(figure=json.dumps(figure, separators=(",", ":")), key=key, default=None)
