"""Shared fixtures: the real MNIST folder beside the project, reached the way a user would."""
from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from store_fixtures import postgres_admin_url, postgres_url, private_state_dir, store_url  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
SHARED_MNIST = ROOT.parent / "shared" / "data" / "mnist"


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium under Playwright, for one test module (imported here so unit tests need no Playwright)."""
    from browsing import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The folder holding the four IDX files: $MLP_DATA_DIR, else ../shared/data/mnist."""
    folder = Path(os.environ.get("MLP_DATA_DIR") or SHARED_MNIST)
    if not (folder / "train-images-idx3-ubyte.gz").exists():
        pytest.fail(f"MNIST IDX files not found in {folder}: set MLP_DATA_DIR or provide ../shared/data/mnist")
    return folder


@pytest.fixture(scope="session", autouse=True)
def no_reference_network():
    """The server's reference network (training.reference) takes a worker for a minute of CPU on the first Draw page
    a server shows: switched off for the suite's pages and servers; the tests about it switch it on."""
    saved = os.environ.get("MLP_REFERENCE_NETWORK")
    os.environ["MLP_REFERENCE_NETWORK"] = "0"
    yield
    if saved is None:
        os.environ.pop("MLP_REFERENCE_NETWORK", None)
    else:
        os.environ["MLP_REFERENCE_NETWORK"] = saved


# What a fixture needs from the machine, as a mark: given from the fixture closure, so no test can forget it.
NEEDS = {"browser": "browser", "mnist_dir": "mnist", "postgres_admin_url": "postgres"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by these marks
def pytest_collection_modifyitems(items):
    """Mark each test by what its fixtures need; store_url's postgresql case asks for its server at run time."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        needs = {mark for fixture, mark in NEEDS.items() if fixture in used}
        if getattr(item, "callspec", None) and item.callspec.params.get("store_url") == "postgresql":
            needs.add("postgres")
        for mark in sorted(needs):
            item.add_marker(mark)


def synthetic_split(n: int = 600, seed: int = 0, classes: int = 10) -> SimpleNamespace:
    """A tiny learnable stand-in for MNIST: each class is a random template plus noise."""
    rng = np.random.default_rng(seed)
    templates = rng.random((classes, 784), dtype=np.float32)

    def make(count: int):
        y = rng.integers(0, classes, count)
        x = np.clip(templates[y] + rng.normal(0, 0.3, (count, 784)).astype(np.float32), 0, 1)
        return x.astype(np.float32), y

    x_train, y_train = make(n)
    x_val, y_val = make(n // 5)
    x_test, y_test = make(n // 5)
    return SimpleNamespace(x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, x_test=x_test, y_test=y_test)


@pytest.fixture
def tiny_split() -> SimpleNamespace:
    return synthetic_split()
