"""The rooms of the project and which may import which: the engine below everything, the training service and the
store below the app, one room of the app that talks to the store, no page reaching into another page's parts, and no
import running back up the layout. Read from the code's own import statements."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_ROOMS = ("train", "draw", "inspect", "compare", "notebook", "classroom", "board")
# The app's shared rooms, lowest first: a room imports only rooms before it (and itself).
UI_LAYERS = ("ui.shared", "ui.state", "ui.saving", "ui.frame", "ui.panels")


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def run_time_imports(path: Path) -> set[str]:
    """The modules `path` imports when it runs, as dotted names (relative imports resolved); imports under
    `if TYPE_CHECKING:` are annotations only, and left out."""
    package = module_of(path) if path.name == "__init__.py" else module_of(path).rpartition(".")[0]
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text()))
    return names


def files(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def first_party(path: Path, top: str) -> set[str]:
    return {name for name in run_time_imports(path) if name == top or name.startswith(top + ".")}


def room_of(name: str) -> str:
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0] == "ui" and len(parts) > 1 else parts[0]


@pytest.mark.parametrize("path", files("mlp"), ids=lambda p: module_of(p))
def test_the_engine_imports_no_other_room(path):
    for top in ("training", "store", "ui", "pages"):
        assert not first_party(path, top), f"{module_of(path)} imports {sorted(first_party(path, top))}"


@pytest.mark.parametrize("path", files("training", "store"), ids=lambda p: module_of(p))
def test_the_training_service_and_the_store_use_the_engine_and_the_record_of_a_run(path):
    for top in ("ui", "pages", "store"):
        assert not first_party(path, top) or module_of(path).startswith("store") and top == "store", \
            f"{module_of(path)} imports {sorted(first_party(path, top))}"
    if module_of(path).startswith("store"):  # the store keeps the runs the training service records, nothing more
        assert all(name == "training" or name.partition(".")[2].startswith("record") for name in
                   first_party(path, "training")), f"{module_of(path)} imports {sorted(first_party(path, 'training'))}"


def app_files() -> list[Path]:
    return [ROOT / "app.py", *files("pages", "ui")]


@pytest.mark.parametrize("path", app_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_only_the_saving_room_talks_to_the_store(path):
    if module_of(path).startswith("ui.saving"):
        return
    assert not first_party(path, "store"), f"{path.relative_to(ROOT)} imports {sorted(first_party(path, 'store'))}"


@pytest.mark.parametrize("path", files("ui"), ids=lambda p: module_of(p))
def test_no_page_uses_another_pages_parts_and_no_shared_room_a_pages(path):
    here = room_of(module_of(path))
    for name in run_time_imports(path):
        there = room_of(name)
        if there in {f"ui.{page}" for page in PAGE_ROOMS}:
            assert there == here, f"{module_of(path)} imports {name}: a page's parts are its own"


@pytest.mark.parametrize("path", files("ui"), ids=lambda p: module_of(p))
def test_no_import_runs_back_up_the_layout(path):
    here = room_of(module_of(path))
    if here not in UI_LAYERS:
        return
    allowed = set(UI_LAYERS[: UI_LAYERS.index(here) + 1])
    upward = {name for name in run_time_imports(path) if name.startswith("ui.") and room_of(name) not in allowed
              and room_of(name) in UI_LAYERS + tuple(f"ui.{page}" for page in PAGE_ROOMS)}
    assert not upward, f"{module_of(path)} ({here}) imports {sorted(upward)}, above it"


def test_the_layout_is_one_a_newcomer_can_read():
    top = {path.name for path in ROOT.iterdir() if not path.name.startswith(".")}
    assert {"app.py", "mlp", "pages", "training", "ui", "store", "tests", "bench", "deploy", "docs",
            "README.md", "requirements.txt"} <= top
    from ui.frame.navigation import PAGES
    scripts = sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    assert scripts == sorted(Path(p.script).name for p in PAGES)  # one script per page, each listed once
    assert all(Path(p.script).stem == (p.url_path or "Home") for p in PAGES)  # named as its address
    for script in scripts:  # a page script is short: its parts live in ui/<page>/
        assert len((ROOT / "pages" / script).read_text().splitlines()) <= 60, script
