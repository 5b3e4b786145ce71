"""The class board page."""
