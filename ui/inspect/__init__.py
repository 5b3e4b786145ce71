"""The Inspect page: its panel, figures and pure helpers."""
