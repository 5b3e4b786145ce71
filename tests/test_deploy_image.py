"""The container path as written: deploy/Dockerfile's COPY and `RUN pip` steps replayed in a clean folder with a fresh
virtual environment (no Docker daemon needed), then the app served from it; and deploy/compose.yaml read as Compose
reads it: room in /dev/shm for every app process's MNIST, saved work on a named volume, a health check that asks
every process."""
from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from browsing import free_port
from waiting import wait_until

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
MNIST_BYTES = (60_000 + 10_000) * (784 * 4 + 8)  # what each app process writes to /dev/shm (training.workers)
UNITS = {"": 1, "b": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def instructions(path: Path) -> list[tuple[str, str]]:
    """The Dockerfile's instructions, (NAME, arguments), continuation lines joined and comments left out."""
    text = re.sub(r"\\\n", " ", "\n".join(line for line in path.read_text().splitlines()
                                           if not line.lstrip().startswith("#")))
    return [(name.upper(), rest.strip()) for name, _, rest in (line.strip().partition(" ") for line in
                                                               text.splitlines() if line.strip())]


def context_files() -> list[str]:
    """The build context as a clean checkout gives it: the project's files, less what Dockerfile.dockerignore omits."""
    ignored = [line.strip() for line in (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")]
    files = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT, check=True,
                           capture_output=True, text=True).stdout.splitlines()

    def kept(name: str) -> bool:
        verdict = True
        for pattern in ignored:
            negated = pattern.startswith("!")
            pattern = pattern.lstrip("!").removeprefix("**/")
            if any(fnmatch.fnmatch(part, pattern) for part in [name, *Path(name).parts]):
                verdict = negated
        return verdict
    return [name for name in files if kept(name) and (ROOT / name).is_file()]


def copy(sources: list[str], destination: Path) -> None:
    """COPY SOURCES... DEST from the build context (the project folder): a folder's contents, or a file, into DEST."""
    context = context_files()
    for source in sources:
        folder = source.rstrip("/")
        if source == ".":
            chosen = {name: Path(name) for name in context}
        elif source in context:
            chosen = {source: Path(Path(source).name)}
        else:
            chosen = {name: Path(name).relative_to(folder) for name in context if name.startswith(folder + "/")}
        assert chosen, f"COPY {source}: not in the build context"
        for name, inside in chosen.items():
            (destination / inside).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, destination / inside)


@pytest.mark.server
def test_the_dockerfile_installs_the_app_in_a_clean_folder_and_it_serves(tmp_path):
    """Every COPY and `RUN pip` of the Dockerfile, in order, with the image's WORKDIR as a new folder and its pip as a
    fresh virtual environment's (apt-get is the machine's: nginx is installed for the tests); then `streamlit run
    app.py` from there answers its health check. Before: `COPY requirements.txt .` alone, and pip stopped with
    "does not appear to be a Python project"."""
    image, venv = tmp_path / "app", tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    workdir = None
    for name, arguments in instructions(DOCKERFILE):
        if name == "WORKDIR":
            workdir = image
            workdir.mkdir()
        elif name == "COPY":
            *sources, destination = shlex.split(arguments)
            assert workdir is not None and not any(s.startswith("--") for s in sources), arguments
            copy(sources, workdir / destination)
        elif name == "RUN" and arguments.startswith("pip "):
            done = subprocess.run([str(python), "-m", *shlex.split(arguments)], cwd=workdir, capture_output=True,
                                  text=True, timeout=900)
            assert done.returncode == 0, f"RUN {arguments}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert (workdir / "app.py").is_file() and (workdir / "deploy" / "serve.py").is_file()
    imports = subprocess.run([str(python), "-c", "import mlp, store, training.workers, ui.frame.layout, streamlit"],
                             cwd=workdir, capture_output=True, text=True, timeout=300)
    assert imports.returncode == 0, imports.stderr[-3000:]
    port = free_port()
    app = subprocess.Popen([str(python), "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
                            "--server.port", str(port), "--server.headless", "true", "--server.fileWatcherType",
                            "none", "--browser.gatherUsageStats", "false"], cwd=workdir, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE)
    try:
        def healthy() -> bool:
            assert app.poll() is None, app.stderr.read().decode()[-3000:]
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    return answer.read() == b"ok"
            except OSError:
                return False
        wait_until(healthy, 120, "the app installed as the Dockerfile does answering its health check", every=0.2)
    finally:
        app.terminate()
        app.wait(30)


def size(text: str | int) -> int:
    """Compose's byte sizes: 1gb, 512m, 1073741824."""
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(text).strip().lower())
    assert match, f"{text!r} is not a size Compose reads"
    return int(float(match[1]) * UNITS[match[2]])


def test_compose_gives_room_in_dev_shm_a_volume_for_saved_work_and_a_health_check_of_every_process():
    import yaml  # PyYAML, from requirements-dev.txt: imported here so that collecting the suite never needs it

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    service = compose["services"]["classroom"]
    environment = service["environment"]
    processes = int(environment["MLP_PROCESSES"])
    assert size(service["shm_size"]) >= processes * MNIST_BYTES * 1.2  # Docker's 64 MB default held no MNIST
    state = environment.get("MLP_STATE_DIR")
    volumes = {mount.split(":")[1]: mount.split(":")[0] for mount in service["volumes"]}
    assert state and volumes.get(state) in (compose.get("volumes") or {}), "saved work outlives the container"
    assert service["healthcheck"]["test"][1:3] == ["python", "deploy/health.py"]
    dockerfile = dict(instructions(DOCKERFILE))
    assert "deploy/health.py" in dockerfile["HEALTHCHECK"] and "MLP_STATE_DIR=/state" in dockerfile["ENV"]
