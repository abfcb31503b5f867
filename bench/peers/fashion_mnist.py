"""Reads the four Fashion-MNIST IDX files (gzip or raw) into numpy arrays, pixels scaled to [0, 1]."""
import argparse
import gzip
import os
import re
import struct
import time

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


# Shared objects that can provide BLAS, by file name: an optimised one (OpenBLAS, BLIS, MKL, ATLAS) or Debian's
# reference BLAS (libblas.so.3 in .../blas/, the netlib code), which multiplies tens of times slower. Names can
# mislead (a library named for one may forward to another), so the benchmark also compares the peer's measured
# sgemm rate with libtorch's.
_OPTIMISED_BLAS = re.compile(r"openblas|blis|mkl|atlas", re.IGNORECASE)
_ANY_BLAS = re.compile(r"blas|mkl|blis|atlas", re.IGNORECASE)


def blas_in_use(built_in=None):
    """Which BLAS this process multiplies with, from the libraries mapped into it (call after a product has run,
    so that lazily loaded ones are mapped): {"provider", "optimised", "libraries"}. `built_in` names a BLAS
    linked into the caller's own library (PyTorch's build config), used when no BLAS library is mapped."""
    libraries = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            name = os.path.basename(fields[5]) if len(fields) >= 6 else ""
            if name.startswith("lib") and _ANY_BLAS.search(name):  # not Python's own BLAS wrappers
                libraries.add(fields[5])
    optimised = sorted(p for p in libraries if _OPTIMISED_BLAS.search(p))
    reference = sorted(p for p in libraries if "/blas/" in p)
    if reference:
        # alone, or beside an optimised one (LD_LIBRARY_PATH, a library linked to both): products may bind to it
        provider = "reference BLAS (" + ", ".join(os.path.basename(p) for p in reference) + ")"
        optimised = []
    elif optimised:
        # the library itself (libopenblasp-r0.3.21.so) rather than the libblas.so.3 beside it
        provider = next((os.path.basename(p) for p in optimised if _OPTIMISED_BLAS.search(os.path.basename(p))), optimised[0])
    elif libraries:
        provider = "unrecognised BLAS (" + ", ".join(os.path.basename(p) for p in sorted(libraries)) + ")"
    elif built_in and _OPTIMISED_BLAS.search(built_in):
        provider = built_in + " (built in)"
        optimised = [built_in]
    else:
        provider = "no BLAS library identified"
    return {"provider": provider, "optimised": bool(optimised), "libraries": sorted(libraries)}


def sgemm_gflops(multiply, size=2048, runs=3):
    """The best rate of `multiply()` (one size x size by size x size float32 product) over a few runs, after one
    untimed run, in GFLOP/s."""
    multiply()
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        multiply()
        best = min(best, time.perf_counter() - start)
    return 2.0 * size ** 3 / best / 1e9
