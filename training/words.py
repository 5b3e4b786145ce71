"""Numbers in plain words, for status lines and limits: '2nd', 'about 12 s', '6 MB'. Pure, no Streamlit."""
from __future__ import annotations

import math


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def format_seconds(seconds: float) -> str:
    """'about 12 s', 'about 3 min', 'about 81 hours'; '' when unknown."""
    if not seconds or not math.isfinite(seconds):
        return ""
    if seconds < 90:
        return f"about {max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    return f"about {seconds / 3600:,.0f} hours"


def format_megabytes(megabytes: float) -> str:
    """'6 MB', '2.0 GB'."""
    return f"{megabytes / 1000:,.1f} GB" if megabytes >= 1000 else f"{max(1, round(megabytes))} MB"


def format_range(low: float, high: float) -> str:
    """'about 20-40 s', 'about 2-3 min', 'about 50 s-2 min'; one number when both round to it; '' when unknown."""
    if not (low and high and math.isfinite(low) and math.isfinite(high)):
        return format_seconds(high or low)
    low, high = min(low, high), max(low, high)
    a, b = format_seconds(low)[len("about "):], format_seconds(high)[len("about "):]
    if a == b:
        return f"about {a}"
    (x, unit_a), (y, unit_b) = a.rsplit(" ", 1), b.rsplit(" ", 1)
    return f"about {x}-{y} {unit_b}" if unit_a == unit_b else f"about {a}-{b}"
