import numpy as np

from mlp.metrics import confusion_matrix
from mlp.network import Network
from mlp.teaching.inspection import confident_mistakes, embed, first_layer_images, nearest


def test_confusion_matrix_counts_true_by_predicted():
    counts = confusion_matrix(np.array([0, 0, 1, 2, 2, 2]), np.array([0, 1, 1, 2, 2, 0]))
    assert counts.shape == (10, 10) and counts.sum() == 6
    assert counts[0, 0] == 1 and counts[0, 1] == 1 and counts[2, 2] == 2 and counts[2, 0] == 1
    assert np.trace(counts) == 4


def test_nearest_matches_brute_force():
    rng = np.random.default_rng(0)
    refs = rng.random((500, 16), dtype=np.float32)
    q = rng.random(16, dtype=np.float32)
    idx, dist = nearest(q, refs, k=5)
    brute = np.argsort(np.linalg.norm(refs - q, axis=1))[:5]
    assert list(idx) == list(brute)
    np.testing.assert_allclose(dist, np.linalg.norm(refs[brute] - q, axis=1), rtol=1e-4)
    assert len(nearest(q, refs[:3], k=5)[0]) == 3


def test_an_exact_copy_is_its_own_nearest_neighbour():
    net = Network((784, 32, 10)).initialize(np.random.default_rng(0))
    x = np.random.default_rng(1).random((300, 784), dtype=np.float32)
    emb = embed(net, x)
    assert emb.shape == (300, 32)
    idx, dist = nearest(embed(net, x[42:43])[0], emb, k=1)
    assert idx[0] == 42 and dist[0] < 1e-3
    assert embed(Network((784, 10)), x).shape == (300, 784)


def test_confident_mistakes_are_sorted_by_confidence():
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.05, 0.95]])
    probs = np.pad(probs, ((0, 0), (0, 8)))
    labels = np.array([0, 0, 0, 1])  # rows 1 and 2 are wrong; row 1 more confidently
    assert list(confident_mistakes(probs, labels)) == [1, 2]


def test_first_layer_images_are_one_per_unit_and_scaled():
    net = Network((784, 12, 10)).initialize(np.random.default_rng(0))
    images = first_layer_images(net)
    assert images.shape == (12, 28, 28)
    assert np.allclose(np.abs(images).reshape(12, -1).max(axis=1), 1.0)
    np.testing.assert_allclose(images[3].ravel(), net.weights[0][:, 3] / np.abs(net.weights[0][:, 3]).max(), rtol=1e-6)
