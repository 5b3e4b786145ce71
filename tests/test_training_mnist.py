"""Training on the real MNIST files, reached through the data-folder setting as a user would.

These are the product's promises: the notebook's failures reproduce, and the fix reaches 98%.
"""
import pytest

from mlp import TrainConfig, get_preset, load_mnist, train
from mlp.teaching.diagnosis import diagnose


@pytest.fixture(scope="module")
def mnist(mnist_dir):
    return load_mnist(mnist_dir)


def run(config: TrainConfig, mnist):
    result = train(config, mnist)
    return result, [f.code for f in diagnose(config, result.history, status=result.status, reason=result.reason)]


def test_environment_variable_names_the_data_folder(mnist_dir, monkeypatch):
    monkeypatch.setenv("MLP_DATA_DIR", str(mnist_dir))
    data = load_mnist()
    assert data.source == "folder" and len(data.x_train) == 60_000


def test_one_epoch_over_all_60000_images_passes_95_percent(mnist):
    result, findings = run(TrainConfig(epochs=1, validation_share=0.0), mnist)
    assert result.status == "finished"
    assert result.steps == 469  # 60,000 images in batches of 128
    assert result.test_accuracy > 0.95
    assert findings == []


def test_notebook_all_stays_at_chance_and_says_why(mnist):
    result, findings = run(get_preset("notebook-all").config(), mnist)
    assert 0.05 < result.test_accuracy < 0.15
    assert "overconfident-start" in findings and "lr-too-small" in findings


def test_notebook_momentum_crawls_to_about_90_percent(mnist):
    result, findings = run(get_preset("notebook-momentum").config(), mnist)
    assert 0.85 < result.test_accuracy < 0.95
    assert "overconfident-start" in findings


def test_notebook_one_and_one_nine(mnist):
    one, findings = run(get_preset("notebook-one").config(), mnist)
    assert one.test_accuracy == 1.0 and "single-class" in findings
    one_nine, _ = run(get_preset("notebook-one-nine").config(), mnist)
    assert one_nine.test_accuracy > 0.97


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_modern_preset_reaches_98_percent_in_10_epochs(mnist, seed):
    config = get_preset("modern").config(seed=seed)
    assert config.epochs <= 10
    result, findings = run(config, mnist)
    assert result.test_accuracy >= 0.98, f"seed {seed}: {result.test_accuracy:.4f}"
    assert findings == []
