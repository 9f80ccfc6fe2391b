import SpikeForgeCore
import Trainer

/// How one NIR node was mapped.
public struct NIRNodeReport: Sendable, Equatable {
    public enum Status: String, Sendable { case exact, approximated, unsupported }
    public var node: String
    public var type: String
    public var status: Status
    /// What the node became, and for an approximation what is lost.
    public var note: String
}

/// Options of `nir import`.
public struct NIRImportOptions: Sendable {
    public enum Leak: String, Sendable, CaseIterable { case refuse, ignore }
    public var wBits = 8
    public var inputBits = 4
    /// Steps the graph sees each input for; nil: the file's `spikeforge_timesteps` metadata, else
    /// `2^inputBits − 1`, the largest input level (docs/NIR.md).
    public var timesteps: Int?
    public var leak = Leak.refuse
    public init() {}
}

/// Walks the path of a graph and builds the float network of SpikeForge layers, with a report
/// per node. Problems name the node.
struct GraphWalker {
    let graph: NIRGraph
    let options: NIRImportOptions
    let timesteps: Int
    var reports: [NIRNodeReport] = []
    var layers: [FloatLayer] = []
    var shape = FeatureShape.vector(1)
    /// A weighted node not yet closed by a neuron (its bias still per step).
    var pending: FloatLayer?
    var pendingNodes: [String] = []
    /// An elementwise scale on the current values, for the next weighted node's inputs.
    var inputScale: [Double]?
    var lastNeuron: String?
    /// A Flatten since the last weighted node: only a dense layer may follow.
    var flattened = false

    init(graph: NIRGraph, options: NIRImportOptions, timesteps: Int) {
        self.graph = graph
        self.options = options
        self.timesteps = timesteps
    }

    var problems: [String] { reports.filter { $0.status == .unsupported }.map { "node '\($0.node)' (\($0.type)): \($0.note)" } }
    var unsupported = 0

    mutating func report(_ node: String, _ status: NIRNodeReport.Status, _ note: String) {
        reports.append(NIRNodeReport(node: node, type: graph.nodes[node]?.typeName ?? "?", status: status, note: note))
        if status == .unsupported { unsupported += 1 }
    }

    func meta(_ node: String, _ key: String) -> String? {
        guard let d = graph.nodeMetadata[node]?[key] else { return nil }
        if let s = d.strings?.first { return s }
        return d.numbers?.first.map { Int(exactly: $0).map(String.init) ?? String($0) }
    }

    mutating func walk(_ path: [String]) {
        for name in path {
            // After a node that cannot be mapped, shapes are unknown: later nodes get only the
            // checks of their own (type, leak), so one problem does not cascade.
            if unsupported > 0 {
                switch graph.nodes[name]! {
                case let .unsupported(type): unknown(name, type)
                case let .lif(tau, _, vLeak, _, _): if let p = leakProblem(tau, nil, vLeak) { report(name, .unsupported, p) }
                case let .cubaLIF(tm, ts, _, vLeak, _, _, _): if let p = leakProblem(tm, ts, vLeak) { report(name, .unsupported, p) }
                default: break
                }
                continue
            }
            switch graph.nodes[name]! {
            case let .input(s): input(name, s)
            case let .output(s): output(name, s)
            case let .affine(w, b): dense(name, w, bias: b.values)
            case let .linear(w): dense(name, w, bias: [Double](repeating: 0, count: w.shape[0]))
            case let .conv2d(w, b, stride, padding, dilation, groups, inputShape):
                if let s = inputShape, s != [shape.height, shape.width] {
                    report(name, .unsupported, "input_shape \(s), but its input is \(shape)")
                    continue
                }
                conv(name, w, b, stride, padding, dilation, groups)
            case let .sumPool2d(k, s, p): pool(name, k, s, p, average: false)
            case let .avgPool2d(k, s, p): pool(name, k, s, p, average: true)
            case let .flatten(_, _, inputType):
                if let t = inputType, t.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow || $1 < 0 ? -1 : $0 * $1 }) != shape.count {
                    report(name, .unsupported, "input_type \(t), but its input is \(shape)")
                    continue
                }
                // The map keeps its shape: a dense layer reads it flattened, channel-major.
                flattened = true
                report(name, .exact, "flatten \(shape) to \(shape.count) (channel-major, as NIR's C×H×W)")
            case let .scale(s): scale(name, s)
            case let .integrateAndFire(r, t, reset): neuron(name, gain: r, threshold: t, reset: reset, leak: nil)
            // LIF and CubaLIF: R·dt/τ is taken as 1 (snnTorch writes r = τ/dt, and τ = r = ∞ for
            // no leak); CubaLIF's w_in scales its input.
            case let .lif(tau, _, vLeak, t, reset):
                neuron(name, gain: NIRTensor(shape: [], values: [1]), threshold: t, reset: reset, leak: (tau, nil, vLeak))
            case let .cubaLIF(tm, ts, _, vLeak, t, reset, wIn): neuron(name, gain: wIn, threshold: t, reset: reset, leak: (tm, ts, vLeak))
            case let .threshold(t):
                neuron(name, gain: NIRTensor(shape: [], values: [1]), threshold: t, reset: NIRTensor(shape: [], values: [0]), leak: nil, heaviside: true)
            case let .unsupported(type): unknown(name, type)
            }
        }
    }

    mutating func unknown(_ name: String, _ type: String) {
        report(name, .unsupported, "unknown or unsupported node type '\(type)'; SpikeForge maps Input, Output, Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Scale, IF, Threshold and leak-free LIF/CubaLIF")
    }

    /// Values of one map SpikeForge takes from a NIR file (an input or a layer's output).
    static let maxValues = 1 << 24

    mutating func input(_ name: String, _ s: [Int]) {
        guard s.allSatisfy({ (1 ... Self.maxValues).contains($0) }),
              s.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) <= Self.maxValues else {
            return report(name, .unsupported, "shape \(s), expected at most \(Self.maxValues) values, each dimension at least 1")
        }
        switch s.count {
        case 1: shape = .vector(s[0])
        case 2: shape = FeatureShape(channels: 1, height: s[0], width: s[1])
        case 3: shape = FeatureShape(channels: s[0], height: s[1], width: s[2])
        default: return report(name, .unsupported, "shape \(s), expected [D], [H, W] or [C, H, W]")
        }
        report(name, .exact, "input \(shape), pixel p presented for \(timesteps) steps; SpikeForge's level p >> \(8 - options.inputBits) stands for \(timesteps)·p/255")
    }

    /// Closes a pending pool (pooling spike counts with no neuron after it: θ 1, exact on counts).
    mutating func closePoolIfPending(before name: String) -> Bool {
        guard let p = pending else { return true }
        if p.kind.isPool, p.threshold == 1 {
            layers.append(p)
            pending = nil
            return true
        }
        report(name, .unsupported, "follows '\(pendingNodes.last ?? "?")' with no neuron between; SpikeForge composes only Affine/Linear chains")
        return false
    }

    mutating func dense(_ name: String, _ w: NIRTensor, bias: [Double]) {
        let (out, inn) = (w.shape[0], w.shape[1])
        if var p = pending, p.kind == .dense {
            // Two affine maps with no neuron between compose into one (exact in real arithmetic).
            guard inn == p.output.count else { return report(name, .unsupported, "weight \(w.shape) takes \(inn) inputs, the previous node gives \(p.output.count)") }
            var W = [Double](repeating: 0, count: out * p.input.count)
            var b = bias
            for i in 0 ..< out {
                for k in 0 ..< inn {
                    let a = w.values[i * inn + k]
                    if a == 0 { continue }
                    b[i] += a * p.bias[k]
                    for j in 0 ..< p.input.count { W[i * p.input.count + j] += a * p.weights[k * p.input.count + j] }
                }
            }
            (p.weights, p.bias, p.output, p.name) = (W, b, .vector(out), name)
            pending = p
            pendingNodes.append(name)
            shape = .vector(out)
            return report(name, .exact, "composed with '\(pendingNodes[pendingNodes.count - 2])' (no neuron between): \(p.input.count) → \(out)")
        }
        guard closePoolIfPending(before: name) else { return }
        guard inn == shape.count else { return report(name, .unsupported, "weight \(w.shape) takes \(inn) inputs, the previous node gives \(shape.count) (\(shape))") }
        flattened = false
        var W = w.values
        if let s = inputScale { for i in 0 ..< out { for j in 0 ..< inn { W[i * inn + j] *= s[j] } } }
        pending = FloatLayer(name: name, kind: .dense, input: shape, output: .vector(out), weights: W, bias: bias, threshold: 1, isOutput: false)
        pendingNodes = [name]
        inputScale = nil
        shape = .vector(out)
        report(name, .exact, "dense \(inn) → \(out)")
    }

    mutating func conv(_ name: String, _ w: NIRTensor, _ b: NIRTensor, _ stride: [Int], _ padding: [Int], _ dilation: [Int], _ groups: Int) {
        guard closePoolIfPending(before: name) else { return }
        let (o, c, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        var why: [String] = []
        if stride != [1, 1] { why.append("stride \(stride), expected 1") }
        if padding != [0, 0] { why.append("padding \(padding), expected 0 ('valid')") }
        if dilation != [1, 1] { why.append("dilation \(dilation), expected 1") }
        if groups != 1 { why.append("groups \(groups), expected 1") }
        if kh != kw { why.append("kernel \(kh)×\(kw), expected square") }
        if !LayerSpec.kernelSizes.contains(kh) { why.append("kernel \(kh), expected \(LayerSpec.kernelSizes)") }
        if shape.isVector || flattened { why.append("input is a vector of \(shape.count), expected a C×H×W map") }
        else if c != shape.channels || kh > shape.height || kw > shape.width { why.append("weight \(w.shape) does not fit the input map \(shape)") }
        if let s = inputScale, shape.perChannel(s) == nil { why.append("a Scale before it varies within a channel") }
        guard why.isEmpty else { return report(name, .unsupported, why.joined(separator: "; ")) }
        let outShape = FeatureShape(channels: o, height: shape.height - kh + 1, width: shape.width - kw + 1)
        guard outShape.height * outShape.width <= Self.maxValues / o else {
            return report(name, .unsupported, "\(o) channels of \(outShape.height)x\(outShape.width), more than \(Self.maxValues) neurons")
        }
        var W = w.values
        if let s = inputScale.flatMap({ shape.perChannel($0) }) {
            for oc in 0 ..< o { for ic in 0 ..< c { for k in 0 ..< kh * kw { W[(oc * c + ic) * kh * kw + k] *= s[ic] } } }
        }
        let bias = (0 ..< outShape.count).map { i in b.count == 1 ? b.values[0] : b.values[i / (outShape.height * outShape.width)] }
        pending = FloatLayer(name: name, kind: .conv(kernel: kh), input: shape, output: outShape, weights: W, bias: bias, threshold: 1, isOutput: false)
        pendingNodes = [name]
        inputScale = nil
        shape = outShape
        report(name, .exact, "conv \(kh)×\(kw), \(c) → \(o) channels, \(outShape)")
    }

    mutating func pool(_ name: String, _ k: [Int], _ stride: [Int], _ padding: [Int], average: Bool) {
        var why: [String] = []
        if let p = pending { why.append("pools the pre-activation of '\(p.name)' (no neuron between); SpikeForge pools spike counts (SPEC §6)") }
        if k[0] != k[1] { why.append("kernel \(k), expected square") }
        if stride != k { why.append("stride \(stride), expected the kernel \(k)") }
        if padding != [0, 0] { why.append("padding \(padding), expected 0") }
        if !LayerSpec.poolSizes.contains(k[0]) { why.append("kernel \(k[0]), expected \(LayerSpec.poolSizes)") }
        else if shape.isVector || flattened { why.append("input is a vector, expected a map") }
        else if shape.height % k[0] != 0 || shape.width % k[0] != 0 { why.append("\(k[0])×\(k[0]) windows do not tile the \(shape.height)×\(shape.width) map") }
        let s = inputScale.map { Set($0).count == 1 ? $0.first ?? -1 : -1 } ?? 1
        if s <= 0 { why.append("a Scale before it is not one positive number") }
        guard why.isEmpty else { return report(name, .unsupported, why.joined(separator: "; ")) }
        let kk = k[0]
        let outShape = FeatureShape(channels: shape.channels, height: shape.height / kk, width: shape.width / kk)
        // The pool's weights are 1: its gain (1/k² for an average, times a Scale before it) moves
        // into its threshold, θ/gain in units of input counts.
        let gain = (average ? 1 / Double(kk * kk) : 1) * s
        pending = FloatLayer(name: name, kind: .pool(size: kk), input: shape, output: outShape, weights: [],
                             bias: [Double](repeating: 0, count: outShape.count), threshold: 1 / gain, isOutput: false)
        pendingNodes = [name]
        inputScale = nil
        shape = outShape
        report(name, .exact, "\(average ? "average" : "sum") pooling \(kk)×\(kk) → \(outShape)\(average ? " (1/\(kk * kk) moves into the threshold)" : "")")
    }

    mutating func scale(_ name: String, _ t: NIRTensor) {
        guard t.count == 1 || t.count == shape.count else { return report(name, .unsupported, "\(t.count) values, expected 1 or \(shape.count) (\(shape))") }
        let s = t.count == 1 ? [Double](repeating: t.values[0], count: shape.count) : t.values
        if var p = pending {
            switch p.kind {
            case .pool:
                guard Set(s).count == 1, s[0] > 0 else { return report(name, .unsupported, "scales a pooling unevenly") }
                p.threshold /= s[0]
            case .conv:
                guard let c = p.output.perChannel(s) else { return report(name, .unsupported, "varies within a channel of '\(p.name)', whose kernels are shared") }
                let per = p.weights.count / c.count
                for i in 0 ..< p.weights.count { p.weights[i] *= c[i / per] }
                for i in 0 ..< p.bias.count { p.bias[i] *= s[i] }
            case .dense:
                let n = p.input.count
                for i in 0 ..< p.output.count {
                    for j in 0 ..< n { p.weights[i * n + j] *= s[i] }
                    p.bias[i] *= s[i]
                }
            }
            pending = p
            return report(name, .exact, "folded into '\(p.name)'")
        }
        inputScale = zip(inputScale ?? [Double](repeating: 1, count: s.count), s).map(*)
        report(name, .exact, "folded into the next weighted node's inputs")
    }
}
