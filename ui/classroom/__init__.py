"""The Class page: create, join and moderate a class."""
