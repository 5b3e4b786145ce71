"""The Train page: its panel, figures and pure helpers."""
