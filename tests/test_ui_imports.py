"""The training service and the app's pure modules import no Streamlit, so they can be tested (and reused, by bench/
too) without a server."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from test_project import imported_modules

ROOT = Path(__file__).resolve().parents[1]
# Named in the issue: these must stay pure whatever else changes.
REQUIRED = {"training.run", "ui.shared.settings", "ui.shared.figures", "ui.shared.network_files", "ui.shared.links"}
# No st.* call of their own, but they work on the session through ui.state: Streamlit-side by design.
SESSION_SIDE = {"ui.frame.rule", "ui.frame.training", "ui.saving.drawings", "ui.saving.networks", "ui.saving.runs"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def pure_modules() -> set[str]:
    """Every module of the training service, and every ui module that imports no Streamlit itself."""
    paths = [*ROOT.glob("training/**/*.py"), *ROOT.glob("ui/**/*.py")]
    return {module_name(path) for path in paths if "streamlit" not in imported_modules(path)}


PURE = sorted((pure_modules() - SESSION_SIDE) | REQUIRED)


def test_every_kind_of_pure_module_is_checked():
    kinds = {name.rsplit(".", 1)[-1] for name in PURE}
    assert {"data", "figures", "run", "workers", "limits", "memory", "settings", "network_files", "links"} <= kinds
    assert {"ui.draw.data", "ui.inspect.data", "ui.compare.data", "ui.inspect.figures"} <= set(PURE)


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_no_streamlit(module):
    check = f"import importlib, sys; importlib.import_module({module!r}); " \
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit')[:3])"
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"{module} pulls in Streamlit: {done.stdout.strip()}"
