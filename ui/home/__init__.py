"""The Home page: what the app is, which data it uses, and where to start."""
