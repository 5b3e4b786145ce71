"""The Notebook page: the student's notebook, debugged in front of the class."""
