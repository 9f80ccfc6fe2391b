import Datasets
import Generators
import HWIR
import SpikeForgeCore

/// One neuron mode's figures in `spikeforge report neuron`.
public struct NeuronReportRow: Sendable {
    public var label: String
    public var mode: NeuronMode
    public var flush: Bool
    public var spikes = 0
    /// Σ |x| / θ over every neuron and image.
    public var work = 0.0
    /// Σ (spikes − |z|).
    public var redundant = 0
    /// Neurons whose final z equals the integer ANN activation (exact modes) or lies within the
    /// |z − a| < 1 bound (relu and linear without flush).
    public var exact = 0
    public var samples = 0
    /// Σ |z − a| with a the real-valued activation (max(0, x/θ) or x/θ).
    public var absError = 0.0
    public var saturated = 0
    public var cells: Int?
}

/// Spikes, redundant spikes and accuracy of each neuron mode on a random dense layer driven by
/// realistic inputs, and the Yosys cell count of each mode's unit: the figures of
/// `spikeforge report neuron`, measured on `FunctionalNeuron` (equal to the RTL by the
/// equivalence and lockstep tests).
public enum NeuronMeasurement {
    /// Inputs as pixel vectors, and a description of where they came from: the first `images`
    /// of MNIST t10k in `data`, or synthetic images (20% of pixels lit) from `seed`.
    public static func inputs(data: String?, images: Int, seed: UInt64) throws -> ([[UInt8]], String) {
        if let dir = data {
            let m = try ImageSet.mnist(directory: dir, split: "t10k", limit: images)
            return ((0 ..< m.count).map { Array(m.image($0)) }, "MNIST t10k, first \(m.count) images from \(dir)")
        }
        var rng = SplitMix64(seed: seed ^ 0x1D6)
        let imgs = (0 ..< images).map { _ in (0 ..< 784).map { _ in rng.chance(0.2) ? UInt8(1 + rng.next() % 255) : 0 } }
        return (imgs, "\(images) built-in synthetic images (20% of pixels lit, uniform intensity; seed \(seed))")
    }

    /// Every mode's row on a random `neurons`-neuron layer with 8-bit weights (input level =
    /// pixel >> 4, as that many +1 spikes in raster order), and θ chosen so that a typical |x|
    /// is about 4θ. With `synth`, each mode's unit is synthesized and a row for the runtime-mode
    /// unit is added.
    public static func measure(inputs: [[UInt8]], neurons: Int, seed: UInt64, synth: Bool) throws -> (theta: Int64, rows: [NeuronReportRow]) {
        let nIn = inputs.first?.count ?? 0
        var rng = SplitMix64(seed: seed)
        let w: [[Int64]] = (0 ..< neurons).map { _ in (0 ..< nIn).map { _ in Int64(rng.next() % 255) - 127 } }
        let levels = inputs.map { $0.map { Int64($0 >> 4) } }
        func x(_ img: Int, _ k: Int) -> Int64 { zip(w[k], levels[img]).reduce(0) { $0 + $1.0 * $1.1 } }
        // θ so that a typical |x| is about 4θ: a few spikes per neuron, as in a trained layer.
        let probe = (0 ..< min(20, inputs.count)).flatMap { i in (0 ..< neurons).map { abs(x(i, $0)) } }
        let theta = max(1, probe.reduce(0, +) / Int64(max(1, probe.count)) / 4)
        let bias = (0 ..< neurons).map { _ in Int64(rng.next() % UInt64(2 * theta + 1)) - theta }
        var rows: [NeuronReportRow] = [
            .init(label: "linear", mode: .linear, flush: false), .init(label: "linear + flush", mode: .linear, flush: true),
            .init(label: "relu", mode: .relu, flush: false), .init(label: "relu + flush", mode: .relu, flush: true),
            .init(label: "reluFloor", mode: .reluFloor, flush: false),
        ]
        for img in 0 ..< inputs.count {
            for k in 0 ..< neurons {
                let xk = bias[k] + x(img, k)
                for r in rows.indices { record(&rows[r], levels: levels[img], weights: w[k], bias: bias[k], x: xk, theta: theta) }
            }
        }
        if synth {
            for r in rows.indices {
                var c = NeuronConfig.defaultConfig
                c.mode = NeuronConfig.ModeSelect(rawValue: rows[r].mode.rawValue)!
                rows[r].cells = try unitCells(c)
            }
            var rt = NeuronReportRow(label: "runtime mode (all three)", mode: .linear, flush: false)
            rt.cells = try unitCells(NeuronConfig.defaultConfig)
            rows.append(rt)
        }
        return (theta, rows)
    }

    /// One neuron on one image, in `row`'s mode: `x` is its pre-activation (bias included).
    static func record(_ row: inout NeuronReportRow, levels: [Int64], weights: [Int64], bias: Int64, x xk: Int64, theta: Int64) {
        var n = FunctionalNeuron(bias: bias, theta: theta, mode: row.mode, vBits: 32, zBits: 32)
        for (j, level) in levels.enumerated() where level > 0 {
            for _ in 0 ..< level { n.input(sign: 1, weight: weights[j]) }
        }
        if row.flush { n.flush() }
        row.spikes += n.spikes.count
        row.redundant += n.spikes.count - Int(n.z.magnitude)
        row.work += Double(xk.magnitude) / Double(theta)
        row.samples += 1
        if n.saturated { row.saturated += 1 }
        let real = row.mode == .linear ? Double(xk) / Double(theta) : max(0, Double(xk) / Double(theta))
        row.absError += abs(Double(n.z) - real)
        let ok = IntegerActivation.exact(xk, theta: theta, mode: row.mode, flush: row.flush).map { $0 == n.z }
            ?? IntegerActivation.bounds(xk, theta: theta, mode: row.mode).contains(n.z)
        if ok { row.exact += 1 }
    }

    /// Yosys generic cells of one neuron unit.
    public static func unitCells(_ c: NeuronConfig) throws -> Int {
        let unit = NeuronGenerator.unit(c)
        return try Synthesis.cells(Design(top: unit.name, modules: [unit]))
    }
}
