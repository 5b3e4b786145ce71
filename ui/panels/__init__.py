"""Panels more than one page shows: which network Draw and Inspect use (and networks in and out as files), and the
class's handwriting (label a drawing, the score on it, the switch that trains on it)."""
