#!/usr/bin/env python3
"""Write digits8/{x,y}_{train,test}.npy from scikit-learn's bundled copy of UCI optdigits.

Needs numpy + scikit-learn (load_digits ships the data inside the wheel: no download).
Deterministic: no shuffle. The first 1437 of the 1797 images (in load_digits order) are the
training set, the last 360 the test set. Pixels 0..16 become uint8 round(v * 255 / 16);
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
    os.makedirs(OUT, exist_ok=True)
    np.save(os.path.join(OUT, "x_train.npy"), x[:N_TRAIN])
    np.save(os.path.join(OUT, "y_train.npy"), y[:N_TRAIN])
    np.save(os.path.join(OUT, "x_test.npy"), x[N_TRAIN:])
    np.save(os.path.join(OUT, "y_test.npy"), y[N_TRAIN:])
    print("train", x[:N_TRAIN].shape, np.bincount(y[:N_TRAIN], minlength=10).tolist())
    print("test ", x[N_TRAIN:].shape, np.bincount(y[N_TRAIN:], minlength=10).tolist())


if __name__ == "__main__":
    main()
