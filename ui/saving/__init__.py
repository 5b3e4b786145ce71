"""Saved work: the only room of the app that talks to store/. Records turned into plain data and back (records),
the process's store and a saver per run (database), the workspace in the address and cookie (workspace)."""
