"""The Compare page: its panel, figures and pure helpers."""
