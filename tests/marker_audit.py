"""A pytest plugin for test_markers.py: after collection, write what each test uses to $MLP_MARKER_AUDIT as JSON.

Loaded with `-p marker_audit` in a child pytest that only collects; it runs nothing.
"""
from __future__ import annotations

import inspect
import json
import os


def _source(function) -> str:
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):  # built in, or made at run time: nothing to read
        return ""


def pytest_collection_finish(session):
    rows = []
    for item in session.items:
        fixtures = getattr(item, "_fixtureinfo", None)
        defs = fixtures.name2fixturedefs if fixtures else {}
        sources = [_source(getattr(item, "function", None))]
        sources += [_source(defs[name][-1].func) for name in getattr(item, "fixturenames", ()) if name in defs]
        callspec = getattr(item, "callspec", None)
        rows.append({"id": item.nodeid, "marks": sorted({mark.name for mark in item.iter_markers()}),
                     "fixtures": sorted(getattr(item, "fixturenames", ())),
                     "params": {k: str(v) for k, v in callspec.params.items()} if callspec else {},
                     "source": "\n".join(sources)})
    with open(os.environ["MLP_MARKER_AUDIT"], "w", encoding="utf-8") as out:
        json.dump(rows, out)
