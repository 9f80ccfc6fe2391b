import Datasets
import SpikeForgeCore
import Trainer

/// The result of `nir import`: the graph, its float network, the integer model and the report.
public struct NIRImport: Sendable {
    public var graph: NIRGraph
    public var float: FloatNetwork
    public var model: IntegerModel
    public var reports: [NIRNodeReport]
    /// Per layer: the weight scale chosen (1 when the file held the integers already) and how.
    public var scales: [(layer: String, scale: Double, how: String)]
    /// The values of `2^inputBits − 1` and T, for the report.
    public var inputLevels: Int
    public var timesteps: Int

    /// Reads `path`, maps the graph, and quantizes it; `calibration` (images of the graph's
    /// input size) picks each layer's weight clipping by agreement with the float network.
    public static func run(path: String, options: NIRImportOptions, calibration: ImageSet?) throws(NIRError) -> NIRImport {
        let graph = try NIRGraph.read(path)
        return try map(graph, path: path, options: options, calibration: calibration)
    }

    public static func map(_ graph: NIRGraph, path: String, options: NIRImportOptions, calibration: ImageSet?) throws(NIRError) -> NIRImport {
        guard (2 ... 16).contains(options.wBits), (1 ... 8).contains(options.inputBits), (options.timesteps ?? 1) >= 1 else {
            throw .unsupported(path: path, problems: ["wBits \(options.wBits) (expected 2...16), inputBits \(options.inputBits) (expected 1...8), timesteps \(options.timesteps ?? 1) (expected at least 1)"])
        }
        let levels = (1 << options.inputBits) - 1
        var metaT: Int?
        switch graph.metadataInteger("spikeforge_timesteps", in: 1 ... 1_000_000) {
        case let .failure(e)?: if options.timesteps == nil { throw e }
        case let .success(t)?: metaT = t
        case nil: break
        }
        let T = options.timesteps ?? metaT ?? levels
        let (path_, structure) = graph.chain()
        if !structure.isEmpty { throw .unsupported(path: path, problems: structure) }
        var walker = GraphWalker(graph: graph, options: options, timesteps: T)
        walker.walk(path_)
        if !walker.problems.isEmpty { throw .unsupported(path: path, problems: walker.problems) }
        var layers = walker.layers
        // Layer names become file names: keep them plain and unique.
        var used = Set<String>()
        for i in layers.indices {
            var n = String(layers[i].name.map { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" ? $0 : "_" })
            if n.isEmpty || n.first == "-" { n = "layer\(i + 1)" }
            while used.contains(n) { n += "_" }
            used.insert(n)
            layers[i].name = n
        }
        let float = FloatNetwork(layers: layers, timesteps: T)
        if let c = calibration, (c.pixels.count / max(1, c.count)) != layers[0].input.count {
            throw .unsupported(path: path, problems: ["the calibration images have \((c.pixels.count / max(1, c.count))) values, the graph's input has \(layers[0].input.count) (\(layers[0].input))"])
        }
        var q = Quantizer(float: float, wBits: options.wBits, inputBits: options.inputBits, levels: levels,
                          outputThreshold: graph.metadata["spikeforge_output_threshold"]?.numbers?.first.flatMap { $0 >= 1 && $0 < 1e15 ? $0.rounded() : nil })
        let (model, scales) = q.run(calibration: calibration)
        if let problem = q.problems.first { throw .unsupported(path: path, problems: [problem] + q.problems.dropFirst()) }
        var reports = walker.reports
        for (i, l) in layers.enumerated() where q.roundedPool[i] {
            reports.append(NIRNodeReport(node: l.name, type: "SumPool2d", status: .approximated, note: "pooling threshold \(fmt(l.threshold)) rounded to an integer"))
        }
        return NIRImport(graph: graph, float: float, model: model, reports: reports, scales: scales, inputLevels: levels, timesteps: T)
    }
}

/// Float layers to integer layers: `W_int = round(s·W)` clipped to `wBits`, `b_int = round(s·B)`,
/// `θ_int = round(s·θ)`, with `s = (2^(wBits−1) − 1) / clip`.
struct Quantizer {
    let float: FloatNetwork
    let wBits: Int
    let inputBits: Int
    let levels: Int
    let outputThreshold: Double?
    var problems: [String] = []
    var roundedPool: [Bool] = []

    init(float: FloatNetwork, wBits: Int, inputBits: Int, levels: Int, outputThreshold: Double?) {
        self.float = float
        self.wBits = wBits
        self.inputBits = inputBits
        self.levels = levels
        self.outputThreshold = outputThreshold
        roundedPool = [Bool](repeating: false, count: float.layers.count)
    }

    var qmax: Double { Double((1 << (wBits - 1)) - 1) }

    /// Layer `i`'s weights in integer-input units: the first layer sees levels, `levels/T` of the
    /// graph's input per step.
    func weights(_ i: Int) -> [Double] {
        let f = i == 0 ? Double(float.timesteps) / Double(levels) : 1
        return float.layers[i].weights.map { $0 * f }
    }

    static func integral(_ v: [Double], limit: Double) -> Bool { v.allSatisfy { abs($0) <= limit && abs($0 - $0.rounded()) <= 1e-6 * max(1, abs($0)) } }

    func isIntegral(_ i: Int) -> Bool {
        let l = float.layers[i]
        return Self.integral(weights(i), limit: qmax) && Self.integral(l.bias, limit: 1e15) && (l.isOutput || Self.integral([l.threshold], limit: 1e15))
    }

    mutating func layer(_ i: Int, scale s: Double) -> IntegerLayer? {
        let l = float.layers[i]
        let w = weights(i).map { Int32(max(-qmax, min(qmax, ($0 * s).rounded()))) }
        let b = l.bias.map { ($0 * s).rounded() }
        guard b.allSatisfy({ abs($0) < 1e15 }) else {
            problems.append("layer '\(l.name)': a bias of \(fmt(l.bias.map(abs).max() ?? 0)) × scale \(fmt(s)) does not fit 50 bits")
            return nil
        }
        var theta: Double
        if l.kind.isPool {
            // A first-layer pool sums levels, which stand for levels/T of the graph's input.
            theta = (i == 0 ? l.threshold * Double(levels) / Double(float.timesteps) : l.threshold).rounded()
            if theta != (i == 0 ? l.threshold * Double(levels) / Double(float.timesteps) : l.threshold) { roundedPool[i] = true }
        } else {
            theta = l.isOutput ? (outputThreshold ?? 1) : (l.threshold * s).rounded()
        }
        guard theta < 1e15 else {
            problems.append("layer '\(l.name)': threshold \(fmt(l.threshold)) × scale \(fmt(s)) does not fit 50 bits")
            return nil
        }
        theta = max(1, theta)
        return IntegerLayer(name: l.name, kind: l.kind, input: l.input, output: l.output, weights: l.kind.isPool ? [] : w,
                            bias: l.kind.isPool ? [Int64](repeating: 0, count: l.output.count) : b.map { Int64($0) },
                            threshold: Int64(theta), mode: l.mode, flush: l.flush, isOutput: l.isOutput)
    }

    /// The scale of each layer: 1 for integer parameters; otherwise the clip that agrees best with
    /// the float network on the calibration images (greedy, layer by layer), or `max |W|`.
    mutating func run(calibration: ImageSet?) -> (IntegerModel, [(layer: String, scale: Double, how: String)]) {
        let n = float.layers.count
        var scales = [Double](repeating: 1, count: n)
        var how = [String](repeating: "", count: n)
        var candidates: [[Double]] = []
        for i in 0 ..< n {
            let a = weights(i).map(abs).filter { $0 > 0 }.sorted()
            if float.layers[i].kind.isPool || isIntegral(i) || a.isEmpty {
                candidates.append([1])
                how[i] = float.layers[i].kind.isPool ? "pooling (weights 1)" : "integer parameters, kept as they are"
                continue
            }
            let clips = [1.0, 0.9999, 0.999, 0.995].map { a[min(a.count - 1, Int(($0 * Double(a.count - 1)).rounded()))] }
            candidates.append(Array(Set(clips.map { qmax / $0 })).sorted())
            scales[i] = qmax / a.last!
            how[i] = "max |w| = \(fmt(a.last!)) → ±\(Int(qmax))"
        }
        // A model beyond SpikeForge's bounds (|V|, |z| within 64 bits, TRAINING.md "Model
        // bounds") is never evaluated: it is a problem of the import.
        func build(_ s: [Double]) -> IntegerModel? {
            var ls: [IntegerLayer] = []
            for i in 0 ..< n { guard let l = layer(i, scale: s[i]) else { return nil }; ls.append(l) }
            let m = IntegerModel(layers: ls, wBits: wBits, inputBits: inputBits)
            return m.boundProblems().isEmpty ? m : nil
        }
        let before = problems  // trials at other scales may overflow; only the final one counts
        if let c = calibration?.prefix(500), c.count > 0 {
            let reference = (0 ..< c.count).map { k in argmax(float.logits(c.image(k))) }
            for i in 0 ..< n where candidates[i].count > 1 {
                var best = (agree: -1, s: scales[i])
                for s in candidates[i] {
                    var trial = scales
                    trial[i] = s
                    guard let m = build(trial) else { continue }
                    let e = IntegerEngine(m).evaluate(c)
                    let agree = zip(e.predictions, reference).filter { $0 == $1 }.count
                    if agree > best.agree { best = (agree, s) }
                }
                scales[i] = best.s
                how[i] = "clip ±\(fmt(qmax / best.s)) chosen on \(c.count) calibration images (agrees with the float network on \(best.agree))"
            }
        }
        problems = before
        guard let model = build(scales) else {
            if problems.isEmpty {
                var ls: [IntegerLayer] = []
                for i in 0 ..< n { if let l = layer(i, scale: scales[i]) { ls.append(l) } }
                problems += IntegerModel(layers: ls, wBits: wBits, inputBits: inputBits).boundProblems()
            }
            return (IntegerModel(layers: [], wBits: wBits, inputBits: inputBits), [])
        }
        return (model, (0 ..< n).map { (float.layers[$0].name, scales[$0], how[$0]) })
    }
}

func argmax(_ v: [Double]) -> Int {
    var best = 0
    for (i, x) in v.enumerated() where x > v[best] { best = i }
    return best
}
