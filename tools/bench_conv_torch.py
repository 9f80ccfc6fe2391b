#!/usr/bin/env python3
"""Reference for `spikeforge bench train --arch <conv notation>`: a PyTorch (CPU) float32 CNN.

One epoch of the network written in SpikeForge's notation (default 28x28-15C5-P2-40C5-P2-300-10),
batch 64, on MNIST from --data (the four IDX files, raw or gzip):

- `HxW` or `HxWxC` (or a plain N for a dense input) is the input map;
- `<n>C<k>`: n kernels of k x k, stride 1, valid (no padding), bias, then ReLU;
- `P<k>`: k x k pooling, stride k, per channel. `--pool avg` (default) is F.avg_pool2d;
  `--pool sum` multiplies it by k*k, which is SpikeForge's sum pooling (its IF threshold then
  rescales). Both cost the same;
- plain numbers: dense layers (flattened CHW, as SpikeForge), ReLU except on the last (logits).

Softmax cross-entropy, plain SGD (--lr), torch.set_num_threads(--threads, default every core).
`--qat` adds SpikeForge-like quantization-aware rounding with the straight-through estimator: the
forward pass uses weights rounded to signed --w-bits levels (per-tensor scale max|w|) and inputs
rounded to --input-bits levels, `x + (round(x) - x).detach()`, so gradients pass the rounding
unchanged; activations stay float ReLU. Without it the network is plain float32.

Prints one JSON line, like tools/bench_mlp_numpy.py:
{"images": N, "seconds": S, "images_per_second": R, "loss": L, "test_accuracy": A,
 "blas": "...", "torch": "...", "threads": T, "arch": "..."}
Only the training loop is timed (after --warmup untimed steps); loading and the test pass are not.
"""
import argparse, json, os, sys, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_mlp_numpy import read_idx  # noqa: E402  (the same IDX reader as the dense reference)

try:
    import torch
    import torch.nn.functional as F
except ImportError as e:  # `spikeforge bench train` checks for torch before running this script
    sys.exit(f"bench_conv_torch: PyTorch is not installed ({e}); pip install torch")


def parse_arch(text):
    """SpikeForge's notation -> (input (C, H, W), [("conv", n, k) | ("pool", k) | ("dense", n)])."""
    parts = [p.strip() for p in text.split("-")]
    dims = parts[0].lower().split("x")
    try:
        d = [int(v) for v in dims]
    except ValueError:
        sys.exit(f"bench_conv_torch: input '{parts[0]}' is not N, HxW or HxWxC")
    if len(d) == 1:
        shape = (d[0], 1, 1)
    elif len(d) in (2, 3):
        shape = (d[2] if len(d) == 3 else 1, d[0], d[1])
    else:
        sys.exit(f"bench_conv_torch: input '{parts[0]}' is not N, HxW or HxWxC")
    layers = []
    for p in parts[1:]:
        u = p.upper()
        if u.isdigit():
            layers.append(("dense", int(u)))
        elif u.startswith("P") and u[1:].isdigit():
            layers.append(("pool", int(u[1:])))
        elif "C" in u and all(s.isdigit() for s in u.split("C", 1)):
            n, k = u.split("C", 1)
            layers.append(("conv", int(n), int(k)))
        else:
            sys.exit(f"bench_conv_torch: layer '{p}' is not a dense size, <n>C<k> or P<k>")
    if len(layers) < 1 or layers[-1][0] != "dense":
        sys.exit("bench_conv_torch: the output layer must be dense")
    return shape, layers


def fake_quant(t, bits):
    """Rounds t to signed `bits`-bit levels of a per-tensor scale; gradients pass straight through."""
    top = float((1 << (bits - 1)) - 1)
    scale = t.detach().abs().max().clamp_min(1e-12) / top
    return t + (torch.round(t / scale) * scale - t).detach()


class Net(torch.nn.Module):
    def __init__(self, shape, layers, pool, qat, w_bits):
        super().__init__()
        self.specs, self.pool, self.qat, self.w_bits = layers, pool, qat, w_bits
        self.params = torch.nn.ModuleList()
        c, h, w = shape
        for spec in layers:
            if spec[0] == "conv":
                _, n, k = spec
                if k > h or k > w:
                    sys.exit(f"bench_conv_torch: kernel {k}x{k} is larger than its {h}x{w} map")
                self.params.append(torch.nn.Conv2d(c, n, k))
                c, h, w = n, h - k + 1, w - k + 1
            elif spec[0] == "pool":
                k = spec[1]
                if h % k or w % k:
                    sys.exit(f"bench_conv_torch: pooling {k}x{k} does not divide its {h}x{w} map")
                self.params.append(torch.nn.Identity())
                h, w = h // k, w // k
            else:
                self.params.append(torch.nn.Linear(c * h * w, spec[1]))
                c, h, w = spec[1], 1, 1

    def forward(self, x):
        last = len(self.specs) - 1
        for i, (spec, m) in enumerate(zip(self.specs, self.params)):
            if spec[0] == "pool":
                k = spec[1]
                x = F.avg_pool2d(x, k)
                if self.pool == "sum":
                    x = x * float(k * k)
                continue
            if spec[0] == "dense":
                x = x.flatten(1)
            if self.qat:
                wq = fake_quant(m.weight, self.w_bits)
                x = F.conv2d(x, wq, m.bias) if spec[0] == "conv" else F.linear(x, wq, m.bias)
            else:
                x = m(x)
            if i < last:
                x = F.relu(x)
        return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--arch", default="28x28-15C5-P2-40C5-P2-300-10")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: every core)")
    ap.add_argument("--pool", choices=("avg", "sum"), default="avg")
    ap.add_argument("--qat", action="store_true")
    ap.add_argument("--w-bits", type=int, default=8)
    ap.add_argument("--input-bits", type=int, default=4)
    ap.add_argument("--warmup", type=int, default=2, help="untimed steps before the epoch")
    a = ap.parse_args()
    if a.batch < 1 or a.epochs < 1 or a.threads < 0 or not 2 <= a.w_bits <= 16 or not 1 <= a.input_bits <= 8:
        sys.exit("bench_conv_torch: --batch and --epochs must be at least 1, --threads at least 0, --w-bits 2...16, --input-bits 1...8")
    threads = a.threads or os.cpu_count() or 1
    torch.set_num_threads(threads)
    torch.manual_seed(a.seed)
    shape, layers = parse_arch(a.arch)

    def load(split):
        img = read_idx(os.path.join(a.data, f"{split}-images-idx3-ubyte"))
        lbl = read_idx(os.path.join(a.data, f"{split}-labels-idx1-ubyte"))
        if img[0].size != shape[0] * shape[1] * shape[2]:
            sys.exit(f"bench_conv_torch: images have {img[0].size} pixels, --arch {a.arch} expects {shape}")
        x = torch.from_numpy(img.reshape(-1, *shape).copy())
        if a.qat:  # SpikeForge's input levels p >> (8 - inputBits)
            x = (x >> (8 - a.input_bits)).float()
        else:
            x = x.float() / 255.0
        return x, torch.from_numpy(lbl.astype("int64"))

    x, y = load("train")
    xt, yt = load("t10k")
    if a.limit:
        x, y = x[:a.limit], y[:a.limit]
    net = Net(shape, layers, a.pool, a.qat, a.w_bits)
    opt = torch.optim.SGD(net.parameters(), lr=a.lr)
    n = len(x)
    if n < a.batch:
        sys.exit(f"bench_conv_torch: {n} training images, fewer than one batch of {a.batch}")

    def step(idx):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        opt.step()
        return loss.detach()

    for s in range(a.warmup):
        step(torch.arange(s * a.batch, (s + 1) * a.batch) % n)
    loss_sum, batches = 0.0, 0
    t0 = time.perf_counter()
    for _ in range(a.epochs):
        order = torch.randperm(n)
        for s in range(0, n - a.batch + 1, a.batch):
            loss_sum += float(step(order[s:s + a.batch]))
            batches += 1
    seconds = time.perf_counter() - t0
    correct = 0
    with torch.no_grad():
        for s in range(0, len(xt), 1000):
            correct += int((net(xt[s:s + 1000]).argmax(1) == yt[s:s + 1000]).sum())
    backends = []
    if torch.backends.mkldnn.is_available():
        backends.append("oneDNN")
    if torch.backends.mkl.is_available():
        backends.append("MKL")
    try:
        backends.append(f"CPU capability {torch.backends.cpu.get_cpu_capability()}")
    except AttributeError:
        pass
    images = batches * a.batch
    print(json.dumps({"images": images, "seconds": seconds, "images_per_second": images / seconds,
                      "loss": loss_sum / max(batches, 1), "test_accuracy": correct / len(xt),
                      "blas": ", ".join(backends), "torch": torch.__version__, "threads": threads,
                      "arch": a.arch, "pool": a.pool, "qat": a.qat}))


if __name__ == "__main__":
    main()
