#!/usr/bin/env python3
"""Reference for `spikeforge bench train`: a NumPy + OpenBLAS float32 MLP.

One epoch of a dense MLP (default 784-800-10) with ReLU, softmax cross-entropy and plain SGD,
batch 64, on MNIST from --data (the four IDX files, raw or gzip). Prints one JSON line:
{"images": N, "seconds": S, "images_per_second": R, "loss": L, "test_accuracy": A, "blas": "..."}.
Only the training loop is timed; loading and the test pass are not.
"""
import argparse, gzip, json, os, struct, sys, time

import numpy as np


def read_idx(path):
    for p in (path + ".gz", path):
        if os.path.exists(p):
            with (gzip.open(p, "rb") if p.endswith(".gz") else open(p, "rb")) as f:
                data = f.read()
            break
    else:
        sys.exit(f"bench_mlp_numpy: {path}[.gz] not found")
    magic, = struct.unpack(">I", data[:4])
    nd = magic & 0xFF
    dims = struct.unpack(">" + "I" * nd, data[4:4 + 4 * nd])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="784-800-10")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    sizes = [int(s) for s in a.arch.split("-")]
    x = read_idx(os.path.join(a.data, "train-images-idx3-ubyte")).reshape(-1, sizes[0]).astype(np.float32) / 255.0
    y = read_idx(os.path.join(a.data, "train-labels-idx1-ubyte")).astype(np.int64)
    xt = read_idx(os.path.join(a.data, "t10k-images-idx3-ubyte")).reshape(-1, sizes[0]).astype(np.float32) / 255.0
    yt = read_idx(os.path.join(a.data, "t10k-labels-idx1-ubyte")).astype(np.int64)
    if a.limit:
        x, y = x[:a.limit], y[:a.limit]
    rng = np.random.default_rng(a.seed)
    ws = [(rng.standard_normal((i, o)) * np.sqrt(2.0 / i)).astype(np.float32) for i, o in zip(sizes, sizes[1:])]
    bs = [np.zeros(o, np.float32) for o in sizes[1:]]
    n = len(x)
    lr = np.float32(a.lr)
    loss_sum, batches = 0.0, 0
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        order = rng.permutation(n)
        for s in range(0, n - a.batch + 1, a.batch):
            idx = order[s:s + a.batch]
            acts = [x[idx]]
            for k, (w, b) in enumerate(zip(ws, bs)):
                z = acts[-1] @ w + b
                acts.append(np.maximum(z, 0) if k < len(ws) - 1 else z)
            logits = acts[-1]
            logits = logits - logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            p /= p.sum(axis=1, keepdims=True)
            lbl = y[idx]
            loss_sum += float(-np.log(p[np.arange(a.batch), lbl] + 1e-12).mean())
            batches += 1
            g = p
            g[np.arange(a.batch), lbl] -= 1
            g /= a.batch
            for k in range(len(ws) - 1, -1, -1):
                gw = acts[k].T @ g
                gb = g.sum(axis=0)
                if k > 0:
                    g = (g @ ws[k].T) * (acts[k] > 0)
                ws[k] -= lr * gw
                bs[k] -= lr * gb
    seconds = time.perf_counter() - t0
    h = xt
    for k, (w, b) in enumerate(zip(ws, bs)):
        h = h @ w + b
        if k < len(ws) - 1:
            h = np.maximum(h, 0)
    acc = float((h.argmax(axis=1) == yt).mean())
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f'{cfg.get("name")} {cfg.get("version")}'
    except Exception:
        blas = "unknown"
    images = batches * a.batch
    print(json.dumps({"images": images, "seconds": seconds, "images_per_second": images / seconds,
                      "loss": loss_sum / max(batches, 1), "test_accuracy": acc, "blas": blas,
                      "numpy": np.__version__}))


if __name__ == "__main__":
    main()
