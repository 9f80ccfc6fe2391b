#!/usr/bin/env python3
"""Train two small snnTorch networks on digits8 and export them to NIR with snnTorch's own
exporter (snntorch.export_to_nir, which uses nirtorch), so that SpikeForge's importer is
tested on files made by a real third-party tool.

Needs torch, snntorch, nirtorch, nir, numpy. CI does not run this; it is committed so that
anyone can regenerate snntorch_dense.nir, snntorch_leaky.nir and snntorch_fixture.json:

    python3 Tests/NIRTests/Fixtures/make_snntorch_fixture.py

Network (flat inputs, no nn.Flatten): Linear(64, 64) -> Leaky -> Linear(64, 10) -> Leaky
(output), reset_mechanism="subtract", threshold 1, snnTorch's default surrogate (atan).
Input encoding: the 64 pixels x = pixel/255 are applied as a constant input current at
every one of T = 15 time steps (no spike encoding). Loss: snntorch.functional.ce_count_loss
on the output spikes (cross entropy of the spike counts over the T steps). Prediction:
argmax of the output spike count, ties to the lowest index (torch.argmax).

snntorch_dense.nir: beta = 1.0 (no leak). snntorch_leaky.nir: beta = 0.9.
"""
import json
import os
import sys
import warnings

# nirtorch collects the graph's edges in a set, so their order in the file follows Python's
# string hashing; fix the hash seed (re-exec) so that the .nir files are reproducible.
if os.environ.get("PYTHONHASHSEED") != "0":
    os.execve(sys.executable, [sys.executable] + sys.argv,
              {**os.environ, "PYTHONHASHSEED": "0"})

import nir
import numpy as np
import snntorch as snn
import snntorch.functional as SF
import snntorch.utils
import torch
from snntorch.export_nir import export_to_nir

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20240607
T = 15
EPOCHS = 40
BATCH = 64
LR = 2e-3


def load():
    d = os.path.join(HERE, "digits8")
    f = lambda n: np.load(os.path.join(d, n))  # noqa: E731
    xtr = torch.tensor(f("x_train.npy").reshape(-1, 64), dtype=torch.float32) / 255.0
    xte = torch.tensor(f("x_test.npy").reshape(-1, 64), dtype=torch.float32) / 255.0
    ytr = torch.tensor(f("y_train.npy").astype(np.int64))
    yte = torch.tensor(f("y_test.npy").astype(np.int64))
    return xtr, ytr, xte, yte


def make_net(beta):
    # beta and threshold are per-neuron tensors: with scalar beta/threshold snnTorch's
    # exporter writes 0-d LIF parameters (shape ()), and nir's type check then fails
    # ("type mismatch: 0.output: [[64]] -> 1.input: []") inside export_to_nir.
    def leaky(n, **kw):
        return snn.Leaky(beta=torch.full((n,), beta), threshold=torch.ones(n),
                         init_hidden=True, reset_mechanism="subtract", **kw)
    return torch.nn.Sequential(
        torch.nn.Linear(64, 64), leaky(64), torch.nn.Linear(64, 10), leaky(10, output=True))


def run(net, x):
    """Time-stepped forward: returns output spikes (T, B, 10)."""
    snn.utils.reset(net)
    spk = []
    for _ in range(T):
        s, _mem = net(x)
        spk.append(s)
    return torch.stack(spk)


def accuracy(net, x, y):
    with torch.no_grad():
        counts = run(net, x).sum(0)
    return int((counts.argmax(1) == y).sum()) / len(y)


def train(beta, xtr, ytr, xte, yte):
    torch.manual_seed(SEED)
    net = make_net(beta)
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = SF.ce_count_loss()
    g = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        perm = torch.randperm(len(xtr), generator=g)
        for i in range(0, len(xtr), BATCH):
            idx = perm[i:i + BATCH]
            loss = loss_fn(run(net, xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        if epoch % 10 == 9:
            print(f"beta={beta} epoch {epoch + 1}: test acc {accuracy(net, xte, yte):.4f}")
    return net


def describe(g):
    """What ended up in the NIR graph (for the JSON side file)."""
    d = {"edges": [list(e) for e in g.edges], "nodes": {}}
    for k, n in g.nodes.items():
        e = {"type": type(n).__name__}
        for p in ("tau", "r", "v_leak", "v_threshold", "v_reset"):
            if hasattr(n, p):
                a = np.asarray(getattr(n, p))
                e[p] = {"shape": list(a.shape), "dtype": str(a.dtype),
                        "unique": sorted({float(v) for v in a.ravel()})[:4]}
        for p in ("weight", "bias"):
            if hasattr(n, p):
                a = np.asarray(getattr(n, p))
                e[p] = {"shape": list(a.shape), "dtype": str(a.dtype)}
        if type(n).__name__ in ("Input", "Output"):
            t = n.input_type if type(n).__name__ == "Input" else n.output_type
            e["shape"] = [int(v) for v in next(iter(t.values()))]
        d["nodes"][k] = e
    return d


def main():
    torch.set_num_threads(1)
    xtr, ytr, xte, yte = load()
    info = {
        "seed": SEED, "T": T, "epochs": EPOCHS, "batch": BATCH, "lr": LR,
        "optimizer": "Adam", "loss": "snntorch.functional.ce_count_loss (output spikes)",
        "input_encoding": "x = pixel/255 (float32, 64 values, row-major 8x8) applied as a "
                          "constant input current to Linear(64,64) at every one of the T steps",
        "readout": "argmax of output spike count over T steps (lowest index wins ties)",
        "reset_mechanism": "subtract (reset_delay=True: the subtraction happens at the step "
                           "after the spike, U[t] = beta*U[t-1] + I[t] - S[t-1]*threshold)",
        "spike_condition": "U[t] > threshold (strict), threshold 1.0",
        "versions": {"torch": torch.__version__, "snntorch": snn.__version__,
                     "nir": nir.version, "numpy": np.__version__},
        "nets": {},
    }
    try:
        import nirtorch
        info["versions"]["nirtorch"] = nirtorch.__version__
    except Exception:  # noqa: BLE001
        pass
    for name, beta in (("snntorch_dense", 1.0), ("snntorch_leaky", 0.9)):
        net = train(beta, xtr, ytr, xte, yte)
        acc = accuracy(net, xte, yte)
        train_acc = accuracy(net, xtr, ytr)
        snn.utils.reset(net)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            # 1-D sample: a (1, 64) sample makes nirtorch write Input shape [1, 64],
            # which nir's type check rejects against Affine's input [64].
            g = export_to_nir(net, xtr[0])
        fname = os.path.join(HERE, name + ".nir")
        nir.write(fname, g)
        g2 = nir.read(fname)     # type_check=True
        info["nets"][name] = {
            "beta": beta, "test_acc_snntorch_timestepped": acc, "train_acc": train_acc,
            "export_warnings": sorted({str(x.message) for x in w}),
            "nir_graph": describe(g2),
        }
        print(name, "test acc", acc)
    with open(os.path.join(HERE, "snntorch_fixture.json"), "w") as fh:
        json.dump(info, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
