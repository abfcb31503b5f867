"""Reads the four Fashion-MNIST IDX files (gzip or raw) into numpy arrays, pixels scaled to [0, 1]."""
import argparse
import gzip
import os
import struct

import numpy as np


def _read(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", data[8:16])
        return np.frombuffer(data, dtype=np.uint8, offset=16).reshape(count, rows * cols)
    return np.frombuffer(data, dtype=np.uint8, offset=8)


def load(directory):
    def find(name):
        for candidate in (name + ".gz", name):
            path = os.path.join(directory, candidate)
            if os.path.exists(path):
                return path
        raise FileNotFoundError(os.path.join(directory, name))

    x_train = _read(find("train-images-idx3-ubyte")).astype(np.float32) / 255.0
    y_train = _read(find("train-labels-idx1-ubyte")).astype(np.int64)
    x_test = _read(find("t10k-images-idx3-ubyte")).astype(np.float32) / 255.0
    y_test = _read(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    return x_train, y_train, x_test, y_test


def arguments():
    """The command line both peers take: --data DIR --epochs N --batch-size B --seed S."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    return parser.parse_args()
