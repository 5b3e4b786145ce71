"""A multilayer perceptron for MNIST, written from scratch in NumPy to be read end to end.

Read it in this order: activations, losses, initializers, network (forward and
backward), optimizers, trainer. Typical use from a notebook:

    import mlp
    result = mlp.train(mlp.get_preset("modern").config(epochs=3), data_dir="path/to/mnist")
    result.model.save("model.npz")
    model = mlp.load_model("model.npz")
    model.predict_proba(images)          # images: (n, 784) float32 in [0, 1]; ModelOutputError if NaN

README.md's "The engine from a notebook" is a complete example (a test runs it).
"""
from .drawing import preprocess
from .config import ConfigError, TrainConfig
from .data.mnist import Dataset, load_mnist, make_split
from .model import Model, ModelFileError, ModelOutputError, load_model
from .presets import PRESETS, get_preset
from .trainer import Trainer, TrainResult, train

__all__ = ["ConfigError", "Dataset", "Model", "ModelFileError", "ModelOutputError", "PRESETS", "TrainConfig",
           "TrainResult", "Trainer", "get_preset", "load_mnist", "load_model", "make_split", "preprocess", "train"]
