"""The frame every page shares: the one list of pages (navigation), the set-up app.py runs before each page, the
sidebar and its polling (layout), and the process's MNIST (data)."""
