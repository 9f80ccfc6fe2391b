#!/usr/bin/env python3
"""Write digits8/{x,y}_{train,test}.npy from scikit-learn's bundled copy of UCI optdigits.

Needs numpy + scikit-learn (load_digits ships the data inside the wheel: no download).
Deterministic: the 1797 images are shuffled by np.random.RandomState(0).permutation, then the
first 1437 are the training set and the last 360 the test set. (load_digits' own order groups
the writers: its last 360 images come from writers absent from the first 1437, and even a float
SVC stays at 94 % there, so a plain cut measures writer transfer, not the classifier.) Pixels 0..16 become uint8 round(v * 255 / 16);
labels are uint8 0..9.
"""
import os

import numpy as np
from sklearn.datasets import load_digits

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "digits8")
N_TRAIN = 1437


def main():
    d = load_digits()
    v = d.images.astype(np.float64)  # (1797, 8, 8), values 0..16
    assert v.shape == (1797, 8, 8) and v.min() == 0 and v.max() == 16
    # Round half up: only v = 8 gives a tie (127.5 -> 128); np.round would give 128 too
    # (half to even), floor(x + 0.5) states the rule without relying on that.
    x = np.floor(v * 255.0 / 16.0 + 0.5).astype(np.uint8)
    y = d.target.astype(np.uint8)
    perm = np.random.RandomState(0).permutation(len(y))
    x, y = x[perm], y[perm]
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "x_train.npy"), x[:N_TRAIN])
    np.save(os.path.join(OUT, "y_train.npy"), y[:N_TRAIN])
    np.save(os.path.join(OUT, "x_test.npy"), x[N_TRAIN:])
    np.save(os.path.join(OUT, "y_test.npy"), y[N_TRAIN:])
    print("train", x[:N_TRAIN].shape, np.bincount(y[:N_TRAIN], minlength=10).tolist())
    print("test ", x[N_TRAIN:].shape, np.bincount(y[N_TRAIN:], minlength=10).tolist())


if __name__ == "__main__":
    main()
