"""Plotly figures built from plain data, sized to be read from the back of a classroom.

Pure: no Streamlit here, so every figure can be checked in a unit test.
"""
from __future__ import annotations

import base64
import io
import math
from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

FONT_SIZE = 18
TRAIN_COLOUR = "#1f77b4"  # blue
HELDOUT_COLOUR = "#ff7f0e"  # orange
BAR_COLOUR = "#9db4cc"
PREDICTED_COLOUR = "#d62728"
LEGEND_LINE = 30  # pixels per legend entry at FONT_SIZE (Chromium drew n entries in 26 n + 11 pixels)
TITLE_ROOM = 45  # between the legend and the top panel: its title (FONT_SIZE + 2) and a gap


def finite_values(values: Sequence[float]) -> list[float | None]:
    """NaN and infinity become gaps: JSON has no NaN, and a diverged point would squash the axis."""
    return [v if math.isfinite(v) else None for v in values]


def sure(p: float) -> str:
    """A probability as a student reads it: '97%', '>99%' rather than a rounded '100%', '<1%'."""
    if p > 0.99:
        return ">99%"
    return f"{p:.0%}" if p >= 0.01 else "<1%"


def needs_log_scale(losses: Iterable[float]) -> bool:
    """True when the positive losses differ by more than 100 times: on a linear axis everything but
    the largest would look flat (an N(0, 1) start, or a spike from a huge learning rate)."""
    positive = [v for v in losses if math.isfinite(v) and v > 0]
    return bool(positive) and max(positive) / min(positive) > 100


PLAIN_POWERS = range(-3, 7)  # 0.001 to 1,000,000 are written out; beyond, as 10 to a power
MOST_LOG_TICKS = 8
FINE_SPAN = 3  # decades or fewer: ticks at 1, 2 and 5 times each power of ten, else a power of ten alone


def power_label(power: int, times: int = 1) -> str:
    """times * 10**power as a student reads it: '0.01', '2', '1,000', '5,000,000', then '10⁷' or '2×10⁷'
    (not Plotly's '10M' or '1T', which read as megabytes and trillions)."""
    if power in PLAIN_POWERS:
        return f"{times * 10.0 ** power:,.{max(0, -power)}f}"
    return ("" if times == 1 else f"{times}×") + f"10<sup>{power}</sup>"


def log_ticks(values: Iterable[float]) -> tuple[list[float], list[str]]:
    """Tick positions and labels for a log axis holding `values`, labelled by `power_label`: 1, 2 and 5
    times each power of ten over a few decades; over many, the powers of ten (every second or third
    one when they would crowd the axis)."""
    positive = [v for v in values if math.isfinite(v) and v > 0]
    if not positive:
        return [], []
    low, high = math.floor(math.log10(min(positive))), math.ceil(math.log10(max(positive)))
    if high - low <= FINE_SPAN:
        ticks = [(p, m) for p in range(low, high + 1) for m in (1, 2, 5)]
    else:
        step = math.ceil((high - low + 1) / MOST_LOG_TICKS)
        ticks = [(p, 1) for p in range(low - low % step, high + 1, step)]
    return [m * 10.0 ** p for p, m in ticks], [power_label(p, m) for p, m in ticks]


def loss_axis(fig: go.Figure, losses: Iterable[float], log: bool, row: int = 1, col: int = 1) -> go.Figure:
    """The loss axis: linear from zero, or logarithmic with plain labels and 'log scale' in its title."""
    if not log:
        return fig.update_yaxes(title_text="loss", type="linear", rangemode="tozero", row=row, col=col)
    tickvals, ticktext = log_ticks(losses)
    return fig.update_yaxes(title_text="loss (log scale)", type="log", tickmode="array", tickvals=tickvals,
                            ticktext=ticktext, row=row, col=col)


def readable_axes(fig: go.Figure) -> go.Figure:
    """Axis titles and tick labels at projector size. Streamlit's chart theme sets its own small sizes
    unless each axis names one, so every axis gets one here (sizes already chosen are kept)."""
    def enlarge(axis) -> None:
        if axis.title.font.size is None:
            axis.title.font.size = FONT_SIZE
        if axis.tickfont.size is None:
            axis.tickfont.size = FONT_SIZE - 2

    fig.for_each_xaxis(enlarge)
    fig.for_each_yaxis(enlarge)
    return fig


def legend_above(fig: go.Figure, entries: int, height: int) -> go.Figure:
    """The legend at the very top, one entry per line, in a band of its own above the panels' titles.

    A horizontal legend wraps onto more lines as the chart narrows (the sidebar, a smaller screen), and
    Plotly's automatic margin makes room for it but not for the titles under it, so the two collided.
    One entry per line, the legend's height is known whatever the width: `entries` lines always fit the
    band. `height` is the panels' part (with the axes below them); the band comes on top of it."""
    top = entries * LEGEND_LINE + TITLE_ROOM
    fig.update_layout(height=height + top, margin_t=top,
                      legend=dict(orientation="v", yref="container", y=1, yanchor="top", xanchor="left", x=0,
                                  tracegroupgap=0, font=dict(size=FONT_SIZE)))
    return fig


def probability_figure(probabilities: Sequence[float]) -> go.Figure:
    """The ten softmax probabilities as bars, the chosen digit in a strong colour, percentages on top."""
    probs = np.asarray(probabilities, dtype=float).reshape(-1)
    if probs.shape != (10,):
        raise ValueError(f"expected 10 probabilities, got {probs.shape[0]}")
    best = int(probs.argmax())
    colours = [PREDICTED_COLOUR if d == best else BAR_COLOUR for d in range(10)]
    fig = go.Figure(go.Bar(
        x=[str(d) for d in range(10)], y=probs.tolist(), marker_color=colours,
        text=[f"{p:.0%}" if p >= 0.005 else "" for p in probs], textposition="outside",
        textfont=dict(size=FONT_SIZE + 2), constraintext="none", cliponaxis=False,
        hovertemplate="digit %{x}: %{y:.1%}<extra></extra>", name="probability",
    ))
    fig.update_xaxes(title_text="digit", type="category", tickfont=dict(size=FONT_SIZE + 8))
    fig.update_yaxes(title_text="probability", range=[0, 1.15], tickformat=".0%")
    fig.update_layout(height=360, font=dict(size=FONT_SIZE), margin=dict(l=70, r=10, t=20, b=60),
                      showlegend=False, bargap=0.25)
    return readable_axes(fig)


def pixelated(image: np.ndarray, scale: int = 10) -> np.ndarray:
    """A small grey image in [0, 1] blown up into sharp uint8 squares, with a faint grid between pixels."""
    img = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    big = np.kron((img * 255).round().astype(np.uint8), np.ones((scale, scale), dtype=np.uint8))
    if scale >= 6:
        grid = np.asarray(big, dtype=np.int16)
        grid[::scale, :] += 40
        grid[:, ::scale] += 40
        big = np.clip(grid, 0, 255).astype(np.uint8)
    return big


NEGATIVE_RGB = np.array([178, 24, 43], np.float32)  # red: ink there holds the unit back


ZERO_RGB = np.array([247, 247, 247], np.float32)


POSITIVE_RGB = np.array([33, 102, 172], np.float32)  # blue: ink there makes the unit fire


def weight_colours(values: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] as RGB: red below 0, white at 0, blue above (uint8, one more axis of 3)."""
    v = np.clip(np.asarray(values, np.float32), -1.0, 1.0)[..., None]
    rgb = np.where(v < 0, ZERO_RGB + (NEGATIVE_RGB - ZERO_RGB) * -v, ZERO_RGB + (POSITIVE_RGB - ZERO_RGB) * v)
    return rgb.round().astype(np.uint8)


GAP_RGB = (60, 60, 60)
GRID_LINE = 1  # pixels between the units of the weight grid


def weight_grid(images: np.ndarray, columns: int) -> np.ndarray:
    """Unit images (n, 28, 28) scaled to [-1, 1] as one RGB mosaic, `columns` per row, dark lines between.

    One pixel per weight: the page lets the browser enlarge it without blurring (image-rendering).
    """
    images = np.asarray(images, np.float32)
    n, side = len(images), images.shape[1]
    columns = max(1, min(columns, n))
    rows = -(-n // columns)
    step = side + GRID_LINE
    mosaic = np.empty((rows * step - GRID_LINE, columns * step - GRID_LINE, 3), np.uint8)
    mosaic[...] = GAP_RGB
    for i, tile in enumerate(weight_colours(images)):
        r, c = divmod(i, columns)
        mosaic[r * step:r * step + side, c * step:c * step + side] = tile
    return mosaic


def png_address(image: np.ndarray) -> str:
    """A uint8 picture (grey, or RGB on a last axis of 3) as a PNG data address. st.image shows it as given, with
    no file for Streamlit's media store to serve: a live fragment that redraws every second replaces a stored
    picture so often that the browser asked for files already gone (broken pictures), and Plotly shows it too."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
