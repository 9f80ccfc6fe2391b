import Datasets

/// The shape of a layer's input or output: `channels × height × width`, flattened channel-major
/// (`index = (c · height + y) · width + x`, PyTorch's and NIR's `CHW`). A dense layer's vector
/// of `n` values is `n × 1 × 1`.
public struct FeatureShape: Hashable, Sendable, Codable, CustomStringConvertible {
    public var channels: Int
    public var height: Int
    public var width: Int

    public init(channels: Int, height: Int, width: Int) {
        self.channels = channels
        self.height = height
        self.width = width
    }

    /// A flat vector of `n` values.
    public static func vector(_ n: Int) -> FeatureShape { FeatureShape(channels: n, height: 1, width: 1) }

    public var count: Int { channels * height * width }
    public var isVector: Bool { height == 1 && width == 1 }
    /// Flat index of `(c, y, x)`.
    @inline(__always) public func index(_ c: Int, _ y: Int, _ x: Int) -> Int { (c * height + y) * width + x }
    public var description: String { isVector ? "\(channels)" : "\(channels)x\(height)x\(width)" }

    /// The first channel whose `values` (one per position of this map, channel-major) are not
    /// all equal, or nil when every channel holds one value (`values` must have `count` elements).
    public func varyingChannel<T: Equatable>(_ values: [T]) -> Int? {
        let positions = height * width
        return (0 ..< channels).first { c in values[c * positions ..< (c + 1) * positions].contains { $0 != values[c * positions] } }
    }

    /// One value per channel when `values` (one per position of this map, channel-major) is the
    /// same at every position of each channel, else nil.
    public func perChannel<T: Equatable>(_ values: [T]) -> [T]? {
        guard values.count == count, varyingChannel(values) == nil else { return nil }
        return (0 ..< channels).map { values[$0 * height * width] }
    }
}

/// What a layer computes from its input map (SPEC §6; docs/TRAINING.md, "Convolutional networks").
public enum LayerKind: Hashable, Sendable, Codable {
    /// Every input to every output: `weights[i · inputs + j]`.
    case dense
    /// `k × k` kernels, stride 1, valid: output `(o, y, x)` sums `w[o][c][ky][kx] · in(c, y + ky, x + kx)`;
    /// `weights` is `(out, in, kh, kw)`.
    case conv(kernel: Int)
    /// `k × k` sum pooling, stride `k`, per channel, fixed weights 1 and no bias: an IF layer of
    /// its own θ over the window's spike counts. `weights` is empty.
    case pool(size: Int)

    public var isDense: Bool { self == .dense }
    public var isPool: Bool { if case .pool = self { return true } else { return false } }
}

/// One layer of an architecture as written: `800` (dense), `15C5` (15 kernels of 5 × 5), `P2`.
public enum LayerSpec: Hashable, Sendable, CustomStringConvertible {
    case dense(Int)
    case conv(channels: Int, kernel: Int)
    case pool(Int)

    public var description: String {
        switch self {
        case let .dense(n): return "\(n)"
        case let .conv(c, k): return "\(c)C\(k)"
        case let .pool(k): return "P\(k)"
        }
    }

    public var kind: LayerKind {
        switch self {
        case .dense: return .dense
        case let .conv(_, k): return .conv(kernel: k)
        case let .pool(k): return .pool(size: k)
        }
    }

    /// The notation's limits: kernels per convolution, kernel size, pooling size.
    public static let kernelCounts = 1 ... 4096
    public static let kernelSizes = 1 ... 15
    public static let poolSizes = 1 ... 16

    /// The output shape from `input`, or why there is none.
    func output(from input: FeatureShape) -> ShapeOutcome {
        switch self {
        case let .dense(n): return .shape(.vector(n))
        case let .conv(c, k):
            if input.isVector && input.channels > 1 { return .problem("a convolution needs a feature map, got a vector of \(input.channels) (write the input as HxW or HxWxC)") }
            if k > input.height || k > input.width { return .problem("kernel \(k)x\(k) is larger than its \(input.height)x\(input.width) input map") }
            return .shape(FeatureShape(channels: c, height: input.height - k + 1, width: input.width - k + 1))
        case let .pool(k):
            if input.isVector && input.channels > 1 { return .problem("pooling needs a feature map, got a vector of \(input.channels)") }
            if input.height % k != 0 || input.width % k != 0 {
                return .problem("pooling \(k)x\(k) does not divide its \(input.height)x\(input.width) input map (stride \(k), no padding)")
            }
            return .shape(FeatureShape(channels: input.channels, height: input.height / k, width: input.width / k))
        }
    }
}

/// A layer's output shape, or why its input admits none.
enum ShapeOutcome {
    case shape(FeatureShape)
    case problem(String)
}

/// A network as SpikeGrad writes it: `784-800-10` (dense) or `28x28-15C5-P2-40C5-P2-300-10`
/// (input `HxW` or `HxWxC`, `<n>C<k>` convolutions, `P<k>` pooling, plain numbers dense).
public struct Architecture: Hashable, Sendable, CustomStringConvertible {
    public var input: FeatureShape
    public var layers: [LayerSpec]
    /// The input shape, then every layer's output shape.
    public let shapes: [FeatureShape]

    /// A dense network: sizes from the input to the output.
    public init(_ sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 })
        self.init(unchecked: .vector(sizes[0]), sizes.dropFirst().map { .dense($0) })
    }

    init(unchecked input: FeatureShape, _ layers: [LayerSpec]) {
        self.input = input
        self.layers = layers
        var s = [input]
        for l in layers {
            guard case let .shape(o) = l.output(from: s[s.count - 1]) else { preconditionFailure("Architecture(unchecked:) with an impossible layer \(l)") }
            s.append(o)
        }
        shapes = s
    }

    /// Flat sizes: the input count, then every layer's output count.
    public var sizes: [Int] { shapes.map(\.count) }
    public var description: String { ([input.isVector ? "\(input.channels)" : inputText] + layers.map(\.description)).joined(separator: "-") }
    var inputText: String { input.channels == 1 ? "\(input.height)x\(input.width)" : "\(input.height)x\(input.width)x\(input.channels)" }
    public var inputs: Int { input.count }
    public var outputs: Int { shapes[shapes.count - 1].count }
    public var layerCount: Int { layers.count }
    /// True when every layer is dense.
    public var isDense: Bool { layers.allSatisfy { $0.kind == .dense } }

    /// Synapses of layer `k` as the integer ANN computes them (a conv layer's are counted per
    /// position, a pool layer's per window element).
    public func connections(_ k: Int) -> Int {
        let (i, o) = (shapes[k], shapes[k + 1])
        switch layers[k] {
        case .dense: return i.count * o.count
        case let .conv(_, kk): return o.count * i.channels * kk * kk
        case .pool: return i.count
        }
    }

    /// Stored parameters of layer `k` (weights only; a conv layer stores each kernel once).
    public func parameters(_ k: Int) -> Int {
        let (i, o) = (shapes[k], shapes[k + 1])
        switch layers[k] {
        case .dense: return i.count * o.count
        case let .conv(c, kk): return c * i.channels * kk * kk
        case .pool: return 0
        }
    }

    /// Parses the notation, listing every part that is wrong and where.
    public static func parse(_ text: String) throws(TrainerError) -> Architecture {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        var problems: [String] = []
        func where_(_ k: Int) -> String { "part \(k + 1) '\(parts[k])'" }
        var input: FeatureShape?
        let limit = IntegerModel.maxLayerSize
        // The input: N, HxW or HxWxC.
        let dims = parts[0].split(separator: "x", omittingEmptySubsequences: false).map(String.init)
        if dims.count == 1 || dims.count == 2 || dims.count == 3, let v = Optional(dims.map { Int($0) }), v.allSatisfy({ $0 != nil }) {
            let n = v.map { $0! }
            if n.contains(where: { $0 < 1 || $0 > limit }) {
                problems.append("\(where_(0)): every dimension must be in 1...\(limit)")
            } else if n.count == 1 {
                input = .vector(n[0])
            } else {
                input = FeatureShape(channels: n.count == 3 ? n[2] : 1, height: n[0], width: n[1])
            }
        } else {
            problems.append("\(where_(0)): expected the input as N, HxW or HxWxC (for example 784 or 28x28)")
        }
        var specs: [LayerSpec] = []
        var ok = true
        for k in parts.indices.dropFirst() {
            let p = parts[k]
            let upper = p.uppercased()
            if let n = Int(p) {
                if (1 ... limit).contains(n) { specs.append(.dense(n)) } else { problems.append("\(where_(k)): a dense layer of \(n), expected 1...\(limit) neurons"); ok = false }
            } else if upper.hasPrefix("P"), let n = Int(upper.dropFirst()) {
                if LayerSpec.poolSizes.contains(n) { specs.append(.pool(n)) } else { problems.append("\(where_(k)): pooling \(n), expected P1...P16"); ok = false }
            } else if let c = upper.firstIndex(of: "C"), let n = Int(upper[..<c]), let kk = Int(upper[upper.index(after: c)...]) {
                var bad = false
                if !LayerSpec.kernelCounts.contains(n) { problems.append("\(where_(k)): \(n) kernels, expected 1...4096"); bad = true }
                if !LayerSpec.kernelSizes.contains(kk) { problems.append("\(where_(k)): kernel \(kk)x\(kk), expected 1...15"); bad = true }
                if bad { ok = false } else { specs.append(.conv(channels: n, kernel: kk)) }
            } else {
                problems.append("\(where_(k)): expected a dense size (800), a convolution (<n>C<k>, as 15C5) or pooling (P<k>, as P2)")
                ok = false
            }
        }
        if parts.count < 2 { problems.append("got \(parts.count) part\(parts.count == 1 ? "" : "s"), expected at least 2 (input-…-outputs)") }
        if parts.count > IntegerModel.maxLayers + 1 { problems.append("got \(parts.count) parts, expected at most \(IntegerModel.maxLayers + 1) (\(IntegerModel.maxLayers) layers)") }
        if ok, let last = specs.last, last.kind != .dense {
            problems.append("part \(parts.count) '\(parts[parts.count - 1])': the output layer must be dense (a plain number: the classes)")
        }
        // Shapes, when every part parsed.
        if var shape = input, ok, problems.isEmpty {
            for (k, s) in specs.enumerated() {
                switch s.output(from: shape) {
                case let .problem(why): problems.append("\(where_(k + 1)): \(why)"); ok = false
                case let .shape(o):
                    if o.count > limit { problems.append("\(where_(k + 1)): \(o.count) outputs, expected at most \(limit)") }
                    let a = Architecture.synapses(s, shape, o)
                    if a > IntegerModel.maxSynapses { problems.append("\(where_(k + 1)): \(a) synapses, expected at most \(IntegerModel.maxSynapses) (2^28)") }
                    shape = o
                }
                if !ok { break }
            }
        }
        if !problems.isEmpty { throw .badArchitecture(text: text, problems: problems) }
        return Architecture(unchecked: input!, specs)
    }

    static func synapses(_ s: LayerSpec, _ i: FeatureShape, _ o: FeatureShape) -> Int {
        switch s {
        case .dense: return i.count * o.count
        case let .conv(_, k): return o.count * i.channels * k * k
        case .pool: return i.count
        }
    }

    /// Checks that a dataset fits this architecture.
    public func check(_ set: ImageSet) throws(TrainerError) {
        guard set.count > 0 else { throw .dataset(.empty(path: set.source)) }
        guard set.imageSize == inputs else {
            throw .imageSize(source: set.source, got: set.imageSize, expected: inputs, arch: description)
        }
        // A dense input (`784`) takes any image of that many values, flattened CHW; a map input
        // (`HxW`, `HxWxC`) only images of that shape.
        guard input.isVector || (input.height == set.height && input.width == set.width && input.channels == set.channels) else {
            throw .imageShape(source: set.source, got: set.shapeText, expected: "\(input.height)x\(input.width)x\(input.channels)", arch: description)
        }
        let maxLabel = Int(set.labels.max() ?? 0)
        guard maxLabel < outputs else { throw .labelRange(source: set.source, maxLabel: maxLabel, outputs: outputs) }
    }
}

/// Encoded as `{"sizes": [...], "notation": "..."}`; `notation` is written for networks that
/// are not all dense and is optional on reading (files of dense networks have only `sizes`).
extension Architecture: Codable {
    enum CodingKeys: String, CodingKey { case sizes, notation }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let sizes = try c.decode([Int].self, forKey: .sizes)
        if let text = try c.decodeIfPresent(String.self, forKey: .notation) {
            let a: Architecture
            do { a = try Architecture.parse(text) } catch {
                throw DecodingError.dataCorruptedError(forKey: .notation, in: c, debugDescription: "\(error)")
            }
            guard a.sizes == sizes else {
                throw DecodingError.dataCorruptedError(forKey: .sizes, in: c, debugDescription: "got \(sizes), expected \(a.sizes) (the sizes of \(text))")
            }
            self = a
        } else {
            guard sizes.count >= 2, sizes.allSatisfy({ (1 ... IntegerModel.maxLayerSize).contains($0) }) else {
                throw DecodingError.dataCorruptedError(forKey: .sizes, in: c, debugDescription: "got \(sizes), expected at least 2 sizes in 1...\(IntegerModel.maxLayerSize)")
            }
            self.init(sizes)
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sizes, forKey: .sizes)
        if !isDense || !input.isVector { try c.encode(description, forKey: .notation) }
    }
}
