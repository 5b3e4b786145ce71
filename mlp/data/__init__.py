"""Where the digits come from: IDX files read safely, MNIST found in a folder or downloaded and checked, files
written whole or not at all. Nothing here trains; the chapter (mlp.trainer) asks this room for a Dataset."""
