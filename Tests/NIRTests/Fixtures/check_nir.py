#!/usr/bin/env python3
"""Reads a NIR file with the real `nir` package (nir.read, type checks on) and prints it as JSON:
{"version", "nodes": {name: {"type", "params": {name: {"shape", "values"}}}}, "edges"}.
The Swift tests call it to check that SpikeForge's exported files are what NIR tools read."""
import json
import sys

import numpy as np
import nir


def main(path):
    graph = nir.read(path)
    nodes = {}
    for name, node in graph.nodes.items():
        params = {}
        for key, value in vars(node).items():
            if isinstance(value, np.ndarray) and key not in ("input_type", "output_type"):
                params[key] = {"shape": list(value.shape), "values": [float(v) for v in value.ravel()]}
        nodes[name] = {"type": type(node).__name__, "params": params}
    print(json.dumps({"version": nir.serialization.read_version(path), "nodes": nodes,
                      "edges": [list(e) for e in graph.edges]}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: check_nir.py FILE.nir")
    main(sys.argv[1])
