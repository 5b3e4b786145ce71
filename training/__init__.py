"""The training service: every run of the app (Train, Draw's quick network and the server's reference network, the
Notebook's replays) goes through it.

No Streamlit here (tests/test_ui_imports.py keeps it out), so the app and bench/ share it:
- record: what a run leaves, its facts defined once (RunFacts) and the app's record of a run (Run);
- run: one run as a page sees it (start, pause, resume, stop, heartbeat), and PoolRun, what every kind of run
  shares (in line for a worker, then following it);
- replay: the Notebook's runs (a replay of the student's code, or the main engine beside it) as the service runs them;
- workers: the pool of worker processes that train out of the web process, and MNIST shared with them;
- limits: what one server allows, each limit a setting, and the words a student reads at one;
- memory: the cap on networks every session of the process keeps;
- once: results the whole server computes once (the Notebook's runs: trained once per key, whoever asks);
- reference: the server's reference network for Draw's "not a digit" doubt, trained once per server in the
  background and kept in its state folder;
- words: numbers in plain words for status lines and limits;
- logs: the one logging configuration of a process (the web process's and each worker's).
"""
