import Foundation

/// A float tensor of a NIR node's parameter: its shape (`[]` for a scalar) and values, row-major.
public struct NIRTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Double]

    public init(shape: [Int], values: [Double]) {
        self.shape = shape
        self.values = values
    }

    public var count: Int { values.count }
    /// The one value of a scalar or of a tensor whose values are all equal.
    public var uniform: Double? { values.allSatisfy { $0 == values.first } ? values.first : nil }
}

/// The nodes SpikeForge reads (NIR 1.0, as the `nir` Python package writes them). Every other
/// node type is kept as `.unsupported` so the report can name it.
public enum NIRNode: Sendable, Equatable {
    case input(shape: [Int])
    case output(shape: [Int])
    case affine(weight: NIRTensor, bias: NIRTensor)
    case linear(weight: NIRTensor)
    case conv2d(weight: NIRTensor, bias: NIRTensor, stride: [Int], padding: [Int], dilation: [Int], groups: Int, inputShape: [Int]?)
    case sumPool2d(kernel: [Int], stride: [Int], padding: [Int])
    case avgPool2d(kernel: [Int], stride: [Int], padding: [Int])
    case flatten(startDim: Int, endDim: Int, inputType: [Int]?)
    case scale(NIRTensor)
    case integrateAndFire(r: NIRTensor, threshold: NIRTensor, reset: NIRTensor)
    case lif(tau: NIRTensor, r: NIRTensor, vLeak: NIRTensor, threshold: NIRTensor, reset: NIRTensor)
    case cubaLIF(tauMem: NIRTensor, tauSyn: NIRTensor, r: NIRTensor, vLeak: NIRTensor, threshold: NIRTensor, reset: NIRTensor, wIn: NIRTensor)
    case threshold(NIRTensor)
    case unsupported(type: String)

    /// The NIR type name ("Affine", "IF", ...).
    public var typeName: String {
        switch self {
        case .input: return "Input"
        case .output: return "Output"
        case .affine: return "Affine"
        case .linear: return "Linear"
        case .conv2d: return "Conv2d"
        case .sumPool2d: return "SumPool2d"
        case .avgPool2d: return "AvgPool2d"
        case .flatten: return "Flatten"
        case .scale: return "Scale"
        case .integrateAndFire: return "IF"
        case .lif: return "LIF"
        case .cubaLIF: return "CubaLIF"
        case .threshold: return "Threshold"
        case let .unsupported(t): return t
        }
    }
}

/// A NIR graph: named nodes, directed edges, and the metadata of the graph and of each node
/// (string and number datasets of the `metadata` groups).
public struct NIRGraph: Sendable, Equatable {
    public var version: String
    public var nodes: [String: NIRNode]
    public var edges: [(String, String)]
    public var metadata: [String: H5Dataset]
    public var nodeMetadata: [String: [String: H5Dataset]]

    public init(version: String, nodes: [String: NIRNode], edges: [(String, String)], metadata: [String: H5Dataset] = [:],
                nodeMetadata: [String: [String: H5Dataset]] = [:]) {
        self.version = version
        self.nodes = nodes
        self.edges = edges
        self.metadata = metadata
        self.nodeMetadata = nodeMetadata
    }

    /// An integer of the graph's metadata in `range`: nil when absent, else the value or a
    /// problem naming the key (a float that is not a whole number in range, a string).
    public func metadataInteger(_ key: String, in range: ClosedRange<Int>) -> Result<Int, NIRError>? {
        guard let d = metadata[key] else { return nil }
        if let v = d.numbers?.first, d.count == 1, let i = Int(exactly: v), range.contains(i) { return .success(i) }
        return .failure(.unsupported(path: "(graph metadata)", problems: ["metadata '\(key)' is \(d.typeDescription) \(d.numbers?.first.map { "\($0)" } ?? ""), expected one integer in \(range)"]))
    }

    public static func == (a: NIRGraph, b: NIRGraph) -> Bool {
        a.version == b.version && a.nodes == b.nodes && a.edges.elementsEqual(b.edges, by: { $0 == $1 }) && a.metadata == b.metadata
            && a.nodeMetadata == b.nodeMetadata
    }
}

/// Why a NIR file cannot be read or imported. Every case names the file; `problems` lists each
/// node, edge or parameter that is wrong, with what was got and what was expected.
public enum NIRError: Error, Equatable, CustomStringConvertible {
    case hdf5(HDF5Error)
    case invalid(path: String, problems: [String])
    case unsupported(path: String, problems: [String])

    public var description: String {
        switch self {
        case let .hdf5(e): return e.description
        case let .invalid(path, problems):
            return "\(path): not a valid NIR graph (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        case let .unsupported(path, problems):
            return "\(path): the NIR graph cannot be mapped to SpikeForge (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

extension NIRGraph {
    /// Reads a NIR file through the HDF5 C library. Structure and parameter problems are all
    /// collected before the error is thrown.
    public static func read(_ path: String) throws(NIRError) -> NIRGraph {
        let root: H5Node
        do { root = try HDF5.read(path) } catch { throw .hdf5(error) }
        return try parse(root, path: path)
    }

    /// The graph of a NIR file's tree (`path` names it in messages).
    public static func parse(_ root: H5Node, path: String) throws(NIRError) -> NIRGraph {
        var problems: [String] = []
        let top = root.children ?? [:]
        let version = top["version"]?.dataset?.strings?.first ?? ""
        if version.isEmpty { problems.append("the root has no 'version' string (nir.write stores one)") }
        guard let graph = top["node"]?.children else {
            throw .invalid(path: path, problems: problems + ["the root has no 'node' group (the graph)"])
        }
        var parser = Parser()
        let g = parser.graph(graph, version: version)
        problems += parser.problems
        if !problems.isEmpty { throw .invalid(path: path, problems: problems) }
        return g
    }
}

/// Turns the HDF5 tree of a graph into nodes, collecting problems.
struct Parser {
    var problems: [String] = []

    mutating func graph(_ g: [String: H5Node], version: String) -> NIRGraph {
        let type = g["type"]?.dataset?.strings?.first
        if type != "NIRGraph" { problems.append("the graph's 'type' is \(type.map { "'\($0)'" } ?? "missing"), expected 'NIRGraph'") }
        var nodes: [String: NIRNode] = [:]
        var nodeMetadata: [String: [String: H5Dataset]] = [:]
        guard let nodeGroup = g["nodes"]?.children else {
            problems.append("the graph has no 'nodes' group")
            return NIRGraph(version: version, nodes: [:], edges: [])
        }
        for name in nodeGroup.keys.sorted() {
            guard let n = nodeGroup[name]?.children else {
                problems.append("node '\(name)': a dataset, expected a group")
                continue
            }
            if let node = node(name, n) { nodes[name] = node }
            if let m = metadata(n) { nodeMetadata[name] = m }
        }
        var edges: [(String, String)] = []
        if let e = g["edges"]?.dataset {
            if let s = e.strings, (e.shape.count == 2 && e.shape[1] == 2) || s.isEmpty {
                for i in stride(from: 0, to: s.count - 1, by: 2) { edges.append((s[i], s[i + 1])) }
            } else {
                problems.append("'edges': \(e.typeDescription), expected strings of shape [edges, 2]")
            }
        } else {
            problems.append("the graph has no 'edges' dataset")
        }
        return NIRGraph(version: version, nodes: nodes, edges: edges, metadata: metadata(g) ?? [:], nodeMetadata: nodeMetadata)
    }

    func metadata(_ n: [String: H5Node]) -> [String: H5Dataset]? {
        guard let m = n["metadata"]?.children else { return nil }
        var out: [String: H5Dataset] = [:]
        for (k, v) in m { if let d = v.dataset { out[k] = d } }
        return out
    }

    mutating func node(_ name: String, _ n: [String: H5Node]) -> NIRNode? {
        guard let type = n["type"]?.dataset?.strings?.first else {
            problems.append("node '\(name)': no 'type' string")
            return nil
        }
        var p = NodeParams(name: name, type: type, group: n)
        let node: NIRNode?
        switch type {
        case "Input": node = p.ints("shape").map { .input(shape: $0) }
        case "Output": node = p.ints("shape").map { .output(shape: $0) }
        case "Affine":
            let (w, b) = (p.tensor("weight", rank: 2...2), p.tensor("bias", rank: 1...1))
            if let w, let b, b.shape != [w.shape[0]] { p.problem("'bias' has shape \(b.shape), expected [\(w.shape[0])] (one per row of 'weight' \(w.shape))") }
            node = p.ok ? .affine(weight: w!, bias: b!) : nil
        case "Linear": node = p.tensor("weight", rank: 2...2).map { .linear(weight: $0) }
        case "Conv2d":
            let (w, b) = (p.tensor("weight", rank: 4...4), p.tensor("bias", rank: 0...1))
            if let w, let b, b.count != w.shape[0], b.count != 1 { p.problem("'bias' has \(b.count) values, expected \(w.shape[0]) (one per output channel of 'weight' \(w.shape))") }
            let (s, pad, d, g) = (p.pair("stride"), p.padding(), p.pair("dilation"), p.ints("groups"))
            let shape = n["input_shape"] == nil ? nil : p.ints("input_shape")
            node = p.ok ? .conv2d(weight: w!, bias: b!, stride: s!, padding: pad!, dilation: d!, groups: g!.first ?? 1, inputShape: shape) : nil
        case "SumPool2d", "AvgPool2d":
            let (k, s, pad) = (p.pair("kernel_size"), p.pair("stride"), p.padding())
            node = p.ok ? (type == "SumPool2d" ? .sumPool2d(kernel: k!, stride: s!, padding: pad!) : .avgPool2d(kernel: k!, stride: s!, padding: pad!)) : nil
        case "Flatten":
            let (s, e) = (p.ints("start_dim"), p.ints("end_dim"))
            let t = n["input_type"] == nil ? nil : p.ints("input_type")
            node = p.ok ? .flatten(startDim: s!.first ?? 0, endDim: e!.first ?? -1, inputType: t) : nil
        case "Scale": node = p.tensor("scale", rank: 0...4).map { .scale($0) }
        case "Threshold": node = p.tensor("threshold", rank: 0...4).map { .threshold($0) }
        case "IF":
            let (r, t) = (p.tensor("r", rank: 0...4), p.tensor("v_threshold", rank: 0...4))
            let reset = p.optionalTensor("v_reset", like: t)
            p.sameShapes(["r": r, "v_threshold": t, "v_reset": reset])
            node = p.ok ? .integrateAndFire(r: r!, threshold: t!, reset: reset!) : nil
        case "LIF":
            let (tau, r, leak, t) = (p.tensor("tau", rank: 0...4), p.tensor("r", rank: 0...4), p.tensor("v_leak", rank: 0...4), p.tensor("v_threshold", rank: 0...4))
            let reset = p.optionalTensor("v_reset", like: t)
            p.sameShapes(["tau": tau, "r": r, "v_leak": leak, "v_threshold": t, "v_reset": reset])
            node = p.ok ? .lif(tau: tau!, r: r!, vLeak: leak!, threshold: t!, reset: reset!) : nil
        case "CubaLIF":
            let (tm, ts, r, leak, t) = (p.tensor("tau_mem", rank: 0...4), p.tensor("tau_syn", rank: 0...4), p.tensor("r", rank: 0...4),
                                        p.tensor("v_leak", rank: 0...4), p.tensor("v_threshold", rank: 0...4))
            let (reset, wIn) = (p.optionalTensor("v_reset", like: t), p.optionalTensor("w_in", like: t, fill: 1))
            p.sameShapes(["tau_mem": tm, "tau_syn": ts, "r": r, "v_leak": leak, "v_threshold": t, "v_reset": reset, "w_in": wIn])
            node = p.ok ? .cubaLIF(tauMem: tm!, tauSyn: ts!, r: r!, vLeak: leak!, threshold: t!, reset: reset!, wIn: wIn!) : nil
        default: node = .unsupported(type: type)
        }
        problems += p.problems
        return node
    }
}

/// One node's parameter datasets, read with the checks every node needs.
struct NodeParams {
    let name: String
    let type: String
    let group: [String: H5Node]
    var problems: [String] = []
    var ok: Bool { problems.isEmpty }

    init(name: String, type: String, group: [String: H5Node]) {
        self.name = name
        self.type = type
        self.group = group
    }

    mutating func problem(_ s: String) { problems.append("node '\(name)' (\(type)): \(s)") }

    mutating func dataset(_ key: String) -> H5Dataset? {
        guard let node = group[key] else { problem("no '\(key)' parameter"); return nil }
        guard let d = node.dataset else { problem("'\(key)' is a group, expected a dataset"); return nil }
        return d
    }

    mutating func tensor(_ key: String, rank: ClosedRange<Int>) -> NIRTensor? {
        guard let d = dataset(key) else { return nil }
        guard let v = d.numbers else { problem("'\(key)' is \(d.typeDescription), expected numbers"); return nil }
        guard rank.contains(d.shape.count) else {
            problem("'\(key)' has shape \(d.shape), expected \(rank.lowerBound == rank.upperBound ? "\(rank.lowerBound)" : "\(rank.lowerBound)...\(rank.upperBound)") dimensions")
            return nil
        }
        if let bad = v.firstIndex(where: { !$0.isFinite }), !["tau", "tau_mem", "tau_syn", "r"].contains(key) {
            problem("'\(key)' holds \(v[bad]) at index \(bad), expected finite numbers")
            return nil
        }
        if v.contains(where: \.isNaN) { problem("'\(key)' holds NaN, expected numbers"); return nil }
        if d.shape.contains(0) { problem("'\(key)' has shape \(d.shape), an empty dimension"); return nil }
        return NIRTensor(shape: d.shape, values: v)
    }

    mutating func optionalTensor(_ key: String, like other: NIRTensor?, fill: Double = 0) -> NIRTensor? {
        if group[key] == nil { return other.map { NIRTensor(shape: $0.shape, values: [Double](repeating: fill, count: $0.count)) } }
        return tensor(key, rank: 0...4)
    }

    /// Every tensor is a scalar (one value) or has the one shared shape of the others.
    mutating func sameShapes(_ tensors: [String: NIRTensor?]) {
        let present = tensors.compactMapValues { $0 }.sorted { $0.key < $1.key }
        guard let shared = present.first(where: { $0.value.count != 1 }) else { return }
        for (k, t) in present where t.count != 1 && t.shape != shared.value.shape {
            problem("'\(k)' has shape \(t.shape), expected one value or \(shared.value.shape) like '\(shared.key)'")
        }
    }

    /// Integer values (a shape, a dimension): integer datasets, or floats that are whole numbers.
    mutating func ints(_ key: String) -> [Int]? {
        guard let d = dataset(key) else { return nil }
        guard let v = d.numbers, d.shape.count <= 1, v.allSatisfy({ $0 == $0.rounded() && abs($0) < 1e9 }) else {
            problem("'\(key)' is \(d.typeDescription), expected integers (a scalar or a vector)")
            return nil
        }
        return v.map { Int($0) }
    }

    /// A 2-D attribute given as one integer or as (height, width).
    mutating func pair(_ key: String, minimum: Int = 1) -> [Int]? {
        guard let v = ints(key) else { return nil }
        guard v.count == 1 || v.count == 2 else { problem("'\(key)' has \(v.count) values \(v), expected 1 or 2 (height, width)"); return nil }
        guard v.allSatisfy({ $0 >= minimum }) else { problem("'\(key)' is \(v), expected values of at least \(minimum)"); return nil }
        return v.count == 1 ? [v[0], v[0]] : v
    }

    /// Padding: integers, or the strings 'valid' (no padding) or 'same'.
    mutating func padding() -> [Int]? {
        if let s = group["padding"]?.dataset?.strings?.first {
            if s == "valid" { return [0, 0] }
            problem("'padding' is '\(s)'; SpikeForge's convolutions and pooling are 'valid' (no padding)")
            return nil
        }
        return pair("padding", minimum: 0)
    }
}
