#!/usr/bin/env python3
"""check_nir.py FILE: read FILE with the real `nir` package (nir.read, type_check=True) and
print it as JSON on stdout, so that SpikeForge's tests can check that the NIR files it
exports are readable by nir and hold the intended values.

Output: {"version": str, "nodes": {name: {"type": class name,
         "params": {param: {"shape": [...], "values": [flat floats, C order]}},
         "input_type": {key: shape list or null}, "output_type": {...}}},
         "edges": [[src, dst], ...]}
Only numeric numpy parameters are listed: arrays, and numpy scalars (e.g. Conv2d groups,
Flatten start_dim as read back from a scalar HDF5 dataset) with shape []; not Python ints,
tuples or strings. Input/Output shapes are in input_type/output_type. Non-finite values are written as the strings "inf", "-inf",
"nan" (JSON has no such numbers). Subgraphs (NIRGraph nodes) are listed recursively with
their own "nodes" and "edges". Exit status 1 with a message on stderr if nir cannot read
the file.
"""
import json
import math
import sys


def num(v):
    v = float(v)
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def shape_dict(t):
    import numpy as np
    if t is None:
        return None
    return {k: (None if v is None else [int(x) for x in np.asarray(v).ravel()])
            for k, v in t.items()}


def describe_graph(g):
    import nir
    import numpy as np
    nodes = {}
    for name, n in g.nodes.items():
        d = {"type": type(n).__name__, "params": {},
             "input_type": shape_dict(n.input_type), "output_type": shape_dict(n.output_type)}
        if isinstance(n, nir.NIRGraph):
            d.update(describe_graph(n))
        else:
            for k, v in vars(n).items():
                if k in ("input_type", "output_type", "metadata"):
                    continue
                if isinstance(v, (np.ndarray, np.generic)) and v.dtype.kind in "biuf":
                    v = np.asarray(v)
                    d["params"][k] = {"shape": list(v.shape),
                                      "values": [num(x) for x in v.ravel()]}
        nodes[name] = d
    return {"nodes": nodes, "edges": [[a, b] for a, b in g.edges]}


def main(argv):
    if len(argv) != 2:
        print("usage: check_nir.py FILE", file=sys.stderr)
        return 2
    try:
        import nir
        g = nir.read(argv[1])
        version = nir.serialization.read_version(argv[1])
        out = {"version": version}
        out.update(describe_graph(g))
    except Exception as e:  # noqa: BLE001 - any failure means nir cannot read the file
        print(f"check_nir.py: nir cannot read {argv[1]}: {type(e).__name__}: {e}",
              file=sys.stderr)
        return 1
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
