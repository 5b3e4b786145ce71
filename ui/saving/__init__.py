"""Saved work: the only room of the app that talks to store/, called where a page says so (reading ui.state never
writes). A session's runs saved, written when they end, renamed and deleted (runs); a run's network read back when a
page uses it, and which run Draw and Inspect use (networks); the drawing, labelled drawings and the class's
handwriting (drawings); a class made, joined and moderated (classes); the workspace in the address and the cookie
(workspace); the process's store and a saver per run (process_store); runs turned into the store's rows and back
(records)."""
