"""The fast set stays fast: every test that needs Chromium, a server process, PostgreSQL or the real MNIST files
carries its mark, so `-m "not browser and not server and not postgres and not mnist"` leaves it out.

The whole suite is collected (not run) in a child pytest, which writes each test's marks, fixtures and the source
of its function and fixtures. A mark is owed for a fixture used, or for what the source starts itself.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("browser", "server", "postgres", "mnist")
FAST = " and ".join(f"not {mark}" for mark in HEAVY)
OWED_BY_FIXTURE = {"browser": "browser", "mnist_dir": "mnist", "postgres_admin_url": "postgres",
                   "postgres_url": "postgres"}
OWED_BY_SOURCE = {  # what a test or its fixture starts without a shared fixture
    "browser": re.compile(r"sync_playwright|chromium\.launch|/usr/bin/chromium"),
    "server": re.compile(r"\b(Server|AppServer)\(|[\"']streamlit[\"'],\s*[\"']run[\"']|serve\.py|\bnginx\b"),
    "postgres": re.compile(r"\binitdb\b|\bpg_ctl\b"),
    # no pattern for MNIST: tests name its files with fake mirrors; the real files come only through mnist_dir
}


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("audit") / "items.json"
    env = {**os.environ, "MLP_MARKER_AUDIT": str(out),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT / "tests"), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-p", "marker_audit", "tests"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text())


def owed(item: dict) -> set[str]:
    marks = {mark for fixture, mark in OWED_BY_FIXTURE.items() if fixture in item["fixtures"]}
    if item["params"].get("store_url") == "postgresql":
        marks.add("postgres")
    return marks | {mark for mark, pattern in OWED_BY_SOURCE.items() if pattern.search(item["source"])}


def test_every_test_that_needs_a_browser_server_database_or_mnist_carries_its_mark(collected):
    missing = {item["id"]: sorted(owed(item) - set(item["marks"])) for item in collected}
    assert {test: marks for test, marks in missing.items() if marks} == {}


def test_the_fast_set_leaves_the_heavy_tests_out_and_keeps_the_rest(collected):
    fast = [item for item in collected if not set(HEAVY) & set(item["marks"])]
    assert not [item["id"] for item in fast if owed(item)]
    browser = {item["id"].split("::")[0] for item in collected if "browser" in item["marks"]}
    assert "tests/test_browser.py" in browser and "tests/test_browser_text.py" in browser
    assert any(item["id"].endswith("[sqlite]") for item in fast), "a store test on SQLite is fast"
    assert not any(item["id"].endswith("[postgresql]") for item in fast)
    assert len(fast) > len(collected) // 2


def test_a_misspelt_mark_is_an_error_not_a_test_left_in_the_fast_set(tmp_path):
    (tmp_path / "test_x.py").write_text("import pytest\n\n@pytest.mark.brwoser\ndef test_x():\n    pass\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                           "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(tmp_path), str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "'brwoser' not found in `markers`" in done.stdout + done.stderr
