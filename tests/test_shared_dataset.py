"""MNIST shared with the workers when /dev/shm is too small for it, as in a container (Docker gives 64 MB; MNIST
takes 220 MB per app process): the files go to the temporary folder on disk instead, and the process lives (writing
through a mapping into a full tmpfs killed it by SIGBUS)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path


ROOT = Path(__file__).resolve().parents[1]
LOAD = textwrap.dedent("""
    import numpy as np
    from mlp.data.mnist import Dataset
    from training.workers import SharedDataset
    rng = np.random.default_rng(0)
    data = Dataset(rng.random((2000, 784), dtype=np.float32), np.arange(2000) % 10,  # 6 MB: more than the 1 MB tmpfs
                   rng.random((500, 784), dtype=np.float32), np.arange(500) % 10, source="folder", location="test")
    shared = SharedDataset(data)
    assert np.array_equal(shared.dataset.x_train, data.x_train) and np.array_equal(shared.dataset.y_test, data.y_test)
    print(shared.spec.folder, flush=True)
""")


def test_a_dev_shm_too_small_for_the_data_sends_it_to_disk_and_the_process_lives(tmp_path):
    """In a mount namespace of its own (unshare -m: the machine's /dev/shm is untouched), /dev/shm is a 1 MB tmpfs."""
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True, text=True)
    assert probe.returncode == 0, ("this test needs root and a mount namespace of its own, as .ci/run has "
                                   f"(unshare -m: {probe.stderr.strip()})")
    command = f"mount -t tmpfs -o size=1m tmpfs /dev/shm && exec {sys.executable} -c \"$LOAD\""
    done = subprocess.run(["unshare", "-m", "sh", "-c", command], capture_output=True, text=True, timeout=120,
                          cwd=ROOT, env={**os.environ, "LOAD": LOAD, "PYTHONPATH": str(ROOT), "TMPDIR": str(tmp_path)})
    assert done.returncode == 0, (signal.Signals(-done.returncode).name if done.returncode < 0 else done.returncode,
                                  done.stderr[-2000:])
    assert done.stdout.startswith(str(tmp_path)) and "does not fit in /dev/shm" in done.stderr
