import Foundation
import SpikeForgeCore
import Trainer

/// A SpikeForge model as a NIR graph (docs/NIR.md): `Input`, then per layer an `Affine` (after a
/// `Flatten` when it reads a map), a `Conv2d` or a `SumPool2d`, and for hidden layers an `IF`
/// node; the output layer's `Affine` feeds `Output`. Weights, thresholds and shapes are the
/// integer model's; each bias is divided by T = 2^inputBits − 1, the steps the input level
/// stands for, because NIR adds a bias every step. SpikeForge's own semantics (mode, flush,
/// reset by subtraction, T, bit widths) travel in the nodes' and the graph's metadata, so
/// `nir import` gives back the same integer model, bit for bit.
public enum NIRExport {
    public static func graph(_ model: IntegerModel) throws(NIRError) -> NIRGraph {
        let T = Double((1 << model.inputBits) - 1)
        var nodes: [String: NIRNode] = [:]
        var meta: [String: [String: H5Dataset]] = [:]
        var edges: [(String, String)] = []
        var last = "input"
        func shape(_ s: FeatureShape) -> [Int] { s.isVector ? [s.count] : [s.channels, s.height, s.width] }
        // Node names are unique: a layer called `fc_if` next to a layer `fc` gets `fc_if_`.
        var reserved: Set<String> = ["input", "output"]
        func fresh(_ base: String) -> String {
            var n = base
            while reserved.contains(n) { n += "_" }
            reserved.insert(n)
            return n
        }
        func link(_ n: String, _ node: NIRNode) {
            nodes[n] = node
            edges.append((last, n))
            last = n
        }
        nodes["input"] = .input(shape: shape(model.layers[0].inputShape))
        var problems: [String] = []
        var names: [String] = []
        reserved = ["input", "output"]
        for l in model.layers { names.append(fresh(l.name)) }
        for (index, l) in model.layers.enumerated() {
            let name = names[index]
            switch l.kind {
            case .dense:
                if !l.inputShape.isVector { link(fresh("\(name)_flatten"), .flatten(startDim: 0, endDim: -1, inputType: shape(l.inputShape))) }
                link(name, .affine(weight: NIRTensor(shape: [l.outputs, l.inputs], values: l.weights.map(Double.init)),
                                   bias: NIRTensor(shape: [l.outputs], values: l.bias.map { Double($0) / T })))
            case let .conv(k):
                let O = l.outputShape
                let perChannel = O.perChannel(l.bias) ?? []
                if perChannel.isEmpty {
                    problems.append("layer '\(l.name)': its bias varies over positions within a channel; NIR's Conv2d has one bias per channel")
                }
                link(name, .conv2d(weight: NIRTensor(shape: [O.channels, l.inputShape.channels, k, k], values: l.weights.map(Double.init)),
                                   bias: NIRTensor(shape: [O.channels], values: perChannel.map { Double($0) / T }),
                                   stride: [1, 1], padding: [0, 0], dilation: [1, 1], groups: 1,
                                   inputShape: [l.inputShape.height, l.inputShape.width]))
            case let .pool(k):
                link(name, .sumPool2d(kernel: [k, k], stride: [k, k], padding: [0, 0]))
            }
            if !l.isOutput {
                let n = fresh("\(name)_if")
                let s = shape(l.outputShape)
                let ones = [Double](repeating: 1, count: l.outputs)
                link(n, .integrateAndFire(r: NIRTensor(shape: s, values: ones), threshold: NIRTensor(shape: s, values: ones.map { $0 * Double(l.threshold) }),
                                          reset: NIRTensor(shape: s, values: ones.map { _ in 0 })))
                meta[n] = ["spikeforge_mode": .string(l.mode.rawValue), "spikeforge_flush": .integer(l.flush ? 1 : 0), "spikeforge_reset": .string("subtract")]
            }
        }
        link("output", .output(shape: [model.layers.last!.outputs]))
        if !problems.isEmpty { throw .unsupported(path: "(export)", problems: problems) }
        let graphMeta: [String: H5Dataset] = [
            "spikeforge_timesteps": .integer(Int64(T)), "spikeforge_input_bits": .integer(Int64(model.inputBits)),
            "spikeforge_w_bits": .integer(Int64(model.wBits)), "spikeforge_output_threshold": .integer(model.layers.last!.threshold),
            "spikeforge_output_mode": .string(model.layers.last!.mode.rawValue), "spikeforge_output_flush": .integer(model.layers.last!.flush ? 1 : 0),
            "generator": .string("spikeforge \(SpikeForgeVersion.string)"),
        ]
        return NIRGraph(version: "1.0.8", nodes: nodes, edges: edges, metadata: graphMeta, nodeMetadata: meta)
    }

    /// Writes `graph` in the layout of `nir.write`: `/version`, and `/node` holding the graph
    /// (`type`, `nodes/<name>/…`, `edges` as a `[E, 2]` string array, `metadata`).
    public static func write(_ graph: NIRGraph, to path: String) throws(NIRError) {
        do { try HDF5.write(tree(graph), to: path) } catch { throw .hdf5(error) }
    }

    /// The file's tree: `/version` and `/node`.
    public static func tree(_ graph: NIRGraph) -> [String: H5Node] {
        var nodeGroups: [String: H5Node] = [:]
        for (name, node) in graph.nodes {
            var g = tree(node)
            if let m = graph.nodeMetadata[name], !m.isEmpty { g["metadata"] = .group(m.mapValues { .dataset($0) }) }
            nodeGroups[name] = .group(g)
        }
        var top: [String: H5Node] = [
            "type": .dataset(.string("NIRGraph")),
            "nodes": .group(nodeGroups),
            "edges": .dataset(H5Dataset(shape: [graph.edges.count, 2], values: .strings(graph.edges.flatMap { [$0.0, $0.1] }))),
        ]
        if !graph.metadata.isEmpty { top["metadata"] = .group(graph.metadata.mapValues { .dataset($0) }) }
        return ["version": .dataset(.string(graph.version)), "node": .group(top)]
    }

    static func tree(_ node: NIRNode) -> [String: H5Node] {
        func t(_ x: NIRTensor) -> H5Node { .dataset(.floats(x.values, shape: x.shape, bits: 64)) }
        func ints(_ v: [Int]) -> H5Node { .dataset(.integers(v.map(Int64.init))) }
        func int(_ v: Int) -> H5Node { .dataset(.integer(Int64(v))) }
        var g: [String: H5Node] = ["type": .dataset(.string(node.typeName))]
        switch node {
        case let .input(s): g["shape"] = ints(s)
        case let .output(s): g["shape"] = ints(s)
        case let .affine(w, b): (g["weight"], g["bias"]) = (t(w), t(b))
        case let .linear(w): g["weight"] = t(w)
        case let .conv2d(w, b, s, p, d, groups, shape):
            (g["weight"], g["bias"], g["stride"], g["padding"], g["dilation"], g["groups"]) = (t(w), t(b), ints(s), ints(p), ints(d), int(groups))
            if let shape { g["input_shape"] = ints(shape) }
        case let .sumPool2d(k, s, p), let .avgPool2d(k, s, p): (g["kernel_size"], g["stride"], g["padding"]) = (ints(k), ints(s), ints(p))
        case let .flatten(s, e, type):
            (g["start_dim"], g["end_dim"]) = (int(s), int(e))
            if let type { g["input_type"] = ints(type) }
        case let .scale(s): g["scale"] = t(s)
        case let .threshold(x): g["threshold"] = t(x)
        case let .integrateAndFire(r, th, reset): (g["r"], g["v_threshold"], g["v_reset"]) = (t(r), t(th), t(reset))
        case let .lif(tau, r, leak, th, reset): (g["tau"], g["r"], g["v_leak"], g["v_threshold"], g["v_reset"]) = (t(tau), t(r), t(leak), t(th), t(reset))
        case let .cubaLIF(tm, ts, r, leak, th, reset, wIn):
            (g["tau_mem"], g["tau_syn"], g["r"], g["v_leak"], g["v_threshold"], g["v_reset"], g["w_in"]) = (t(tm), t(ts), t(r), t(leak), t(th), t(reset), t(wIn))
        case .unsupported: break
        }
        return g
    }
}
