"""The one line saying which network answers on the Draw page (pure words, no page run)."""
from mlp.config import TrainConfig
from mlp.trainer import History
from training.record import Run
from ui.panels.network_picker import answering_words
from ui.shared.network_files import UPLOADED


def record(name: str, accuracy: float | None, status: str = "finished") -> Run:
    return Run(name=name, config=TrainConfig(), history=History(), status=status, test_accuracy=accuracy)


def test_the_line_names_the_run_and_its_accuracy_the_name_as_text():
    assert answering_words(record("Run 3", 0.957)) == "Answering with: **Run 3** — 95.7% on test digits"
    assert answering_words(record("*bold* [x](y)", 0.5)).startswith(r"Answering with: **\*bold\* \[x\]\(y\)**")
    uploaded = answering_words(record("mine.npz", None, UPLOADED))
    assert "**mine\\.npz** (uploaded)" in uploaded and "not measured" in uploaded
    assert answering_words(None) == ""


def test_while_a_run_trains_the_line_follows_it():
    words = answering_words(record("Run 1", 0.9), training="Run 4")
    assert words.startswith("Answering with: **Run 4**, still training") and "Run 1" not in words
