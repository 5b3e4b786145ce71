"""The Draw page: its panel, figures and pure helpers."""
