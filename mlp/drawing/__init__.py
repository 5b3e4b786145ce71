"""Digits drawn by hand: a canvas drawing made into the 28x28 image MNIST would have, canvas-like digits drawn from
MNIST's own for benchmarks, the surprise that says "not a digit", training-time distortions, and a class's labelled
drawings as files. Pure NumPy, like the chapter."""
