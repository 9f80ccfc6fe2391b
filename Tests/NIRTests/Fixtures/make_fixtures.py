#!/usr/bin/env python3
"""Write the NIR test fixtures of SpikeForge's NIR importer/exporter.

Needs only numpy, nir (tested with 1.0.8) and h5py. Deterministic (seeded numpy Generator,
full-batch training in float64, weights stored as float32). Reads digits8/*.npy, which
make_digits8.py writes. Run from anywhere:

    python3 Tests/NIRTests/Fixtures/make_fixtures.py

Good fixtures are written with nir.write (gzip, nir's default). Bad fixtures are written
with nir.write where nir can express them, otherwise by editing a copy of a good file with
h5py so that the layout is exactly nir.write's. A summary (accuracies, scales) goes to
fixtures.json.
"""
import json
import os
import shutil

import h5py
import nir
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
F32 = np.float32


def out(name):
    return os.path.join(HERE, name)


def load_digits8():
    d = os.path.join(HERE, "digits8")
    xtr = np.load(os.path.join(d, "x_train.npy")).astype(np.float64) / 255.0
    ytr = np.load(os.path.join(d, "y_train.npy")).astype(np.int64)
    xte = np.load(os.path.join(d, "x_test.npy")).astype(np.float64) / 255.0
    yte = np.load(os.path.join(d, "y_test.npy")).astype(np.int64)
    return xtr, ytr, xte, yte


# ----------------------------------------------------------------------------------------
# Training (plain numpy, manual gradients, Adam)
# ----------------------------------------------------------------------------------------

class Adam:
    def __init__(self, params, lr=0.01, b1=0.9, b2=0.999, eps=1e-8):
        self.p, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads):
        self.t += 1
        for p, g, m, v in zip(self.p, grads, self.m, self.v):
            m *= self.b1
            m += (1 - self.b1) * g
            v *= self.b2
            v += (1 - self.b2) * g * g
            mh = m / (1 - self.b1 ** self.t)
            vh = v / (1 - self.b2 ** self.t)
            p -= self.lr * mh / (np.sqrt(vh) + self.eps)


def softmax_xent_grad(logits, y):
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
    p[np.arange(len(y)), y] -= 1
    return loss, p / len(y)


def train_mlp(xtr, ytr, rng, steps=400):
    """64-32-10 ReLU MLP, full batch, Adam lr 0.01."""
    w1 = rng.normal(0, np.sqrt(2 / 64), (32, 64))
    b1 = np.zeros(32)
    w2 = rng.normal(0, np.sqrt(1 / 32), (10, 32))
    b2 = np.zeros(10)
    opt = Adam([w1, b1, w2, b2], lr=0.01)
    x = xtr.reshape(len(xtr), 64)
    for _ in range(steps):
        h = x @ w1.T + b1
        a = np.maximum(h, 0)
        logits = a @ w2.T + b2
        loss, g = softmax_xent_grad(logits, ytr)
        gw2 = g.T @ a
        gb2 = g.sum(0)
        ga = g @ w2
        gh = ga * (h > 0)
        gw1 = gh.T @ x
        gb1 = gh.sum(0)
        opt.step([gw1, gb1, gw2, gb2])
    return w1, b1, w2, b2, float(loss)


def mlp_predict(x, w1, b1, w2, b2):
    a = np.maximum(x.reshape(len(x), 64) @ w1.T + b1, 0)
    return (a @ w2.T + b2).argmax(1)


def im2col(x):
    """x (N,8,8) -> patches (N, 6*6, 9); patch order (oy, ox), tap order (ky, kx)."""
    n = len(x)
    cols = np.empty((n, 36, 9))
    for ky in range(3):
        for kx in range(3):
            cols[:, :, ky * 3 + kx] = x[:, ky:ky + 6, kx:kx + 6].reshape(n, 36)
    return cols


def conv_forward(x, wc, bc, wf, bf):
    """conv (4,1,3,3) valid -> ReLU -> 2x2 sum pool stride 2 -> (ReLU: identity on >= 0)
    -> flatten CHW -> Affine (10,36). Returns logits and intermediates."""
    cols = im2col(x)                                     # (N,36,9)
    h = cols @ wc.reshape(4, 9).T + bc                   # (N,36,4), position-major
    a = np.maximum(h, 0)
    a_chw = a.transpose(0, 2, 1).reshape(len(x), 4, 6, 6)
    p = a_chw.reshape(len(x), 4, 3, 2, 3, 2).sum(axis=(3, 5))   # (N,4,3,3)
    f = p.reshape(len(x), 36)                            # CHW flatten
    return f @ wf.T + bf, (cols, h, f)


def train_conv(xtr, ytr, rng, steps=400):
    wc = rng.normal(0, np.sqrt(2 / 9), (4, 1, 3, 3))
    bc = np.zeros(4)
    wf = rng.normal(0, np.sqrt(1 / 36), (10, 36))
    bf = np.zeros(10)
    opt = Adam([wc, bc, wf, bf], lr=0.01)
    n = len(xtr)
    for _ in range(steps):
        logits, (cols, h, f) = conv_forward(xtr, wc, bc, wf, bf)
        loss, g = softmax_xent_grad(logits, ytr)
        gwf = g.T @ f
        gbf = g.sum(0)
        gp = (g @ wf).reshape(n, 4, 3, 1, 3, 1)
        ga_chw = np.broadcast_to(gp, (n, 4, 3, 2, 3, 2)).reshape(n, 4, 6, 6)
        ga = ga_chw.reshape(n, 4, 36).transpose(0, 2, 1)     # (N,36,4)
        gh = ga * (h > 0)
        gwc = np.einsum("npc,npk->ck", gh, cols).reshape(4, 1, 3, 3)
        gbc = gh.sum(axis=(0, 1))
        opt.step([gwc, gbc, gwf, gbf])
    return wc, bc, wf, bf, float(loss)


# ----------------------------------------------------------------------------------------
# Time-stepped reference simulation with NIR's IF semantics (for the JSON summary only)
# ----------------------------------------------------------------------------------------

def if_step(v, current, thr, reset, subtract):
    """NIR IF, dt = 1, r = 1: v += I; z = v > thr; v = v_reset where z (or v -= thr)."""
    v = v + current
    z = (v > thr).astype(np.float64)
    v = np.where(z > 0, v - thr, v) if subtract else np.where(z > 0, reset, v)
    return v, z


def sim_dense(x, w1, b1, thr, w2, b2, T, subtract=False):
    x = x.reshape(len(x), 64)
    cur = x @ w1.T + b1          # constant input current each step
    v = np.zeros_like(cur)
    acc = np.zeros((len(x), 10))
    for _ in range(T):
        v, z = if_step(v, cur, thr, 0.0, subtract)
        acc += z @ w2.T + b2     # Output node sees fc2's output every step; summed
    return acc.argmax(1)


# ----------------------------------------------------------------------------------------
# Graph builders
# ----------------------------------------------------------------------------------------

def dense_graph(w1, b1, w2, b2, hidden):
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([64])),
            "fc1": nir.Affine(weight=w1.astype(F32), bias=b1.astype(F32)),
            "lif1": hidden,
            "fc2": nir.Affine(weight=w2.astype(F32), bias=b2.astype(F32)),
            "output": nir.Output(output_type=np.array([10])),
        },
        edges=[("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "output")],
    )


def if_node(thr):
    thr = np.asarray(thr, dtype=F32)
    return nir.IF(r=np.ones_like(thr), v_threshold=thr, v_reset=np.zeros_like(thr))


def conv_graph(wc, bc, wf, bf, stride):
    h = (8 - 3) // stride + 1          # conv output side
    p = (h - 2) // 2 + 1               # pool output side
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1, 8, 8])),
            "conv1": nir.Conv2d(
                input_shape=(8, 8), weight=wc.astype(F32), stride=stride, padding=0,
                dilation=1, groups=1, bias=bc.astype(F32)),
            "lif1": if_node(np.ones((4, h, h))),
            "pool1": nir.SumPool2d(kernel_size=np.array([2, 2]), stride=np.array([2, 2]),
                                   padding=np.array([0, 0])),
            "lif2": if_node(np.ones((4, p, p))),
            "flat": nir.Flatten(input_type={"input": np.array([4, p, p])}, start_dim=0,
                                end_dim=-1),
            "fc1": nir.Affine(weight=wf.astype(F32), bias=bf.astype(F32)),
            "output": nir.Output(output_type=np.array([10])),
        },
        edges=[("input", "conv1"), ("conv1", "lif1"), ("lif1", "pool1"), ("pool1", "lif2"),
               ("lif2", "flat"), ("flat", "fc1"), ("fc1", "output")],
    )


def h5_edit(src, dst, edit):
    """Copy a nir.write file and edit it with h5py (same layout as nir.write)."""
    shutil.copyfile(out(src), out(dst))
    with h5py.File(out(dst), "r+") as f:
        edit(f)


def set_edges(f, edges):
    del f["node/edges"]
    f["node"].create_dataset("edges", data=edges, dtype=h5py.string_dtype())


def get_edges(f):
    return [[a.decode(), b.decode()] for a, b in f["node/edges"][()]]


def main():
    rng = np.random.default_rng(SEED)
    xtr, ytr, xte, yte = load_digits8()
    summary = {"seed": SEED, "nir_version": nir.version, "numpy_version": np.__version__,
               "input_encoding": "x = pixel/255 (float), fed as a constant current every step"}

    # ---- dense_if.nir ------------------------------------------------------------------
    w1, b1, w2, b2, loss = train_mlp(xtr, ytr, rng)
    float_acc = float((mlp_predict(xte, w1, b1, w2, b2) == yte).mean())
    # Data-based normalisation: scale fc1 by 1/lam (lam = 99th percentile of the hidden
    # ReLU activations on the training set) and fc2's weight by lam. The ReLU net's logits
    # are unchanged; the hidden activations become (mostly) < 1 = the IF threshold.
    hid = np.maximum(xtr.reshape(-1, 64) @ w1.T + b1, 0)
    lam = float(np.percentile(hid[hid > 0], 99))
    w1n, b1n, w2n = w1 / lam, b1 / lam, w2 * lam
    w1f, b1f, w2f, b2f = (a.astype(F32) for a in (w1n, b1n, w2n, b2))
    norm_acc = float((mlp_predict(xte, w1f.astype(np.float64), b1f, w2f, b2f) == yte).mean())
    thr = np.ones(32, F32)
    nir.write(out("dense_if.nir"), dense_graph(w1f, b1f, w2f, b2f, if_node(thr)))
    sims = {}
    for T in (15, 50, 200):
        for sub in (False, True):
            p = sim_dense(xte, w1f.astype(np.float64), b1f, thr, w2f, b2f, T, sub)
            sims[f"T{T}_{'subtract' if sub else 'reset_to_zero'}"] = float((p == yte).mean())
    summary["dense_if"] = {
        "train_steps": 400, "final_train_loss": loss, "lambda": lam,
        "relu_mlp_test_acc_float64": float_acc,
        "relu_mlp_test_acc_float32_normalised_weights": norm_acc,
        "if_sim_test_acc": sims,
        "if_sim_semantics": "constant current fc1(x) each step, v += I, spike if v > 1, "
                            "reset v = 0 (NIR) or v -= 1 (subtract); prediction = argmax of "
                            "fc2 output summed over T steps",
    }

    # ---- dense_if_nonuniform.nir: same function, per-neuron thresholds -----------------
    # c_i are powers of two, so scaling row i of fc1 (and bias i) by c_i is exact in float32
    c = rng.choice(np.array([0.25, 0.5, 2.0, 4.0, 8.0], F32), size=32).astype(F32)
    w1c = (w1f * c[:, None]).astype(F32)
    b1c = (b1f * c).astype(F32)
    nir.write(out("dense_if_nonuniform.nir"), dense_graph(w1c, b1c, w2f, b2f, if_node(c)))
    summary["dense_if_nonuniform"] = {"c": c.tolist(),
                                      "note": "fc1.weight[i,:] = c_i*dense_if fc1.weight[i,:], "
                                              "fc1.bias[i] = c_i*bias[i], v_threshold[i] = c_i "
                                              "(exact: c_i powers of two)"}

    # ---- conv_if.nir -------------------------------------------------------------------
    x8tr, x8te = xtr.reshape(-1, 8, 8), xte.reshape(-1, 8, 8)
    wc, bc, wf, bf, closs = train_conv(x8tr, ytr, rng)
    c_acc = float((conv_forward(x8te, wc, bc, wf, bf)[0].argmax(1) == yte).mean())
    _, (_, h, _) = conv_forward(x8tr, wc, bc, wf, bf)
    hp = h[h > 0]
    lamc = float(np.percentile(hp, 99))
    wc, bc, wf = wc / lamc, bc / lamc, wf * lamc
    nir.write(out("conv_if.nir"), conv_graph(wc, bc, wf, bf, stride=1))
    c_acc32 = float((conv_forward(x8te, wc.astype(F32).astype(np.float64), bc.astype(F32),
                                  wf.astype(F32), bf.astype(F32))[0].argmax(1) == yte).mean())
    summary["conv_if"] = {"train_steps": 400, "final_train_loss": closs, "lambda": lamc,
                          "relu_cnn_test_acc_float64": c_acc,
                          "relu_cnn_test_acc_float32_normalised_weights": c_acc32,
                          "model": "conv3x3(1->4, valid) -> ReLU -> sumpool2x2/2 -> ReLU "
                                   "(identity on sums of ReLUs) -> flatten CHW -> Affine 36->10"}

    # ---- conv_stride2.nir (unsupported stride) -----------------------------------------
    wc2 = rng.normal(0, 0.3, (4, 1, 3, 3))
    wf2 = rng.normal(0, 0.3, (10, 4))
    nir.write(out("conv_stride2.nir"), conv_graph(wc2, np.zeros(4), wf2, np.zeros(10), 2))

    # ---- leaky_lif.nir -----------------------------------------------------------------
    lif = nir.LIF(tau=np.full(32, 0.01, F32), r=np.ones(32, F32), v_leak=np.zeros(32, F32),
                  v_threshold=np.ones(32, F32), v_reset=np.zeros(32, F32))
    nir.write(out("leaky_lif.nir"), dense_graph(w1f, b1f, w2f, b2f, lif))

    # ---- recurrent.nir: fc1 -> lif1 -> rec -> fc1 (a cycle) ----------------------------
    g = dense_graph(w1f, b1f, w2f, b2f, if_node(thr))
    g = nir.NIRGraph(
        nodes={**g.nodes, "rec": nir.Linear(weight=rng.normal(0, 0.1, (64, 32)).astype(F32))},
        edges=g.edges + [("lif1", "rec"), ("rec", "fc1")])
    nir.write(out("recurrent.nir"), g)

    # ---- skip.nir: input -> skip -> fc2 bypasses fc1/lif1 ------------------------------
    g = dense_graph(w1f, b1f, w2f, b2f, if_node(thr))
    g = nir.NIRGraph(
        nodes={**g.nodes, "skip": nir.Affine(weight=rng.normal(0, 0.1, (32, 64)).astype(F32),
                                             bias=np.zeros(32, F32))},
        edges=g.edges + [("input", "skip"), ("skip", "fc2")])
    nir.write(out("skip.nir"), g)

    # ---- h5py-edited bad files (nir's constructors would reject these) ------------------
    def unknown(f):
        # node 'foo1' of type "Foo" replaces lif1 (fc1 -> foo1 -> fc2)
        f.move("node/nodes/lif1", "node/nodes/foo1")
        del f["node/nodes/foo1/type"]
        f["node/nodes/foo1"].create_dataset("type", data="Foo", dtype=h5py.string_dtype())
        set_edges(f, [[("foo1" if n == "lif1" else n) for n in e] for e in get_edges(f)])
    h5_edit("dense_if.nir", "unknown_node.nir", unknown)

    def bad_shape(f):
        b = f["node/nodes/fc1/bias"][()][:31]
        del f["node/nodes/fc1/bias"]
        f["node/nodes/fc1"].create_dataset("bias", data=b, dtype=b.dtype, compression="gzip")
    h5_edit("dense_if.nir", "bad_shape.nir", bad_shape)

    def bad_dtype(f):
        del f["node/nodes/fc1/weight"]
        f["node/nodes/fc1"].create_dataset("weight", data="not a weight matrix",
                                           dtype=h5py.string_dtype())
    h5_edit("dense_if.nir", "bad_dtype.nir", bad_dtype)

    def missing(f):
        set_edges(f, get_edges(f) + [["fc2", "ghost"]])
    h5_edit("dense_if.nir", "missing_node.nir", missing)

    with open(out("not_hdf5.nir"), "w") as fh:
        fh.write("This is not an HDF5 file. SpikeForge's NIR importer must refuse it.\n")

    with open(out("fixtures.json"), "w") as fh:
        json.dump(summary, fh, indent=2)
        fh.write("\n")

    # ---- verify ------------------------------------------------------------------------
    good = ["dense_if", "dense_if_nonuniform", "conv_if", "conv_stride2", "leaky_lif",
            "recurrent", "skip"]
    for name in good:
        nir.read(out(name + ".nir"))          # type_check=True (default)
    for name in ["unknown_node", "bad_shape", "bad_dtype", "missing_node", "not_hdf5"]:
        try:
            nir.read(out(name + ".nir"))
            print(f"{name}.nir: nir.read ACCEPTS it")
        except Exception as e:   # noqa: BLE001 - report whatever nir raises
            print(f"{name}.nir: nir.read rejects: {type(e).__name__}: {str(e)[:100]}")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
