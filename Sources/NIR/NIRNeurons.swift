import SpikeForgeCore
import Trainer

/// Neurons and the output: where a weighted node becomes a SpikeForge layer.
extension GraphWalker {
    typealias Leak = (tau: NIRTensor, tauSyn: NIRTensor?, vLeak: NIRTensor)

    mutating func neuron(_ name: String, gain: NIRTensor, threshold: NIRTensor, reset: NIRTensor, leak: Leak?, heaviside: Bool = false) {
        guard var p = pending else {
            return report(name, .unsupported, "no Affine, Linear, Conv2d or pooling node before it (SpikeForge's neurons sit on weighted layers)")
        }
        let n = p.output.count
        func each(_ t: NIRTensor) -> [Double]? { t.count == 1 ? [Double](repeating: t.values[0], count: n) : t.count == n ? t.values : nil }
        guard let theta = each(threshold), let g = each(gain), let vReset = each(reset) else {
            return report(name, .unsupported, "parameters of \(threshold.count) values, expected 1 or \(n) (the outputs of '\(p.name)')")
        }
        var notes: [String] = []
        var exact = true
        if let leak {
            if let problem = leakProblem(leak.tau, leak.tauSyn, leak.vLeak) {
                guard options.leak == .ignore else { return report(name, .unsupported, problem) }
                let tau = leak.tau.values.first { $0.isFinite } ?? .infinity
                notes.append("leak dropped (--leak ignore: τ = \(tau) treated as infinite, v_leak ignored), so potentials no longer decay between spikes")
                exact = false
            }
            notes.append(leak.tauSyn == nil ? "input gain taken as 1 per step (snnTorch's convention r = τ/dt)" : "input gain w_in (r·dt/τ taken as 1)")
        }
        let effective = zip(theta, g).map { $0 / $1 }
        guard effective.allSatisfy({ $0 > 0 && $0.isFinite }) else {
            return report(name, .unsupported, "threshold/gain must be positive and finite, got thresholds from \(theta.min()!) to \(theta.max()!) and gains from \(g.min()!) to \(g.max()!)")
        }
        p.bias = p.bias.map { $0 * Double(timesteps) }
        // One θ per layer: per-neuron thresholds scale their rows (exact in real arithmetic).
        switch p.kind {
        case .pool:
            guard Set(effective).count == 1 else { return report(name, .unsupported, "thresholds differ across a pooling layer, whose weights are fixed at 1") }
            p.threshold *= effective[0]
        case .conv:
            guard effective.count == p.output.count else {
                return report(name, .unsupported, "thresholds: got \(effective.count), expected \(p.output.count) (one per neuron of '\(p.name)')")
            }
            if let c = p.output.varyingChannel(effective) {
                return report(name, .unsupported, "thresholds vary within channel \(c) of '\(p.name)', whose kernels are shared")
            }
            fold(&p, effective, rowsPer: p.output.height * p.output.width)
        case .dense: fold(&p, effective, rowsPer: 1)
        }
        if Set(effective).count > 1 { notes.append("per-neuron thresholds folded into the rows of '\(p.name)' (θ \(fmt(p.threshold)))") }
        if let m = meta(name, "spikeforge_mode").flatMap(NeuronMode.init(rawValue:)) { p.mode = m }
        p.flush = meta(name, "spikeforge_flush") == "1"
        if meta(name, "spikeforge_reset") != "subtract" {
            exact = false
            let resetText = vReset.allSatisfy { $0 == 0 } ? "to 0" : "to v_reset (from \(fmt(vReset.min()!)) to \(fmt(vReset.max()!)))"
            notes.append(heaviside
                ? "Heaviside step counted as an IF neuron: SpikeForge may emit several spikes where the step emits one per time step"
                : "NIR resets \(resetText) on v > θ; SpikeForge subtracts θ on V ≥ θ, so its count is floor(max(0, x)/θ) of the total input x (residues above θ are kept, not lost)")
        }
        layers.append(p)
        pending = nil
        lastNeuron = name
        shape = p.output
        report(name, exact ? .exact : .approximated, "\(p.mode.rawValue) neurons of '\(p.name)', θ \(fmt(p.threshold))" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
    }

    /// What is wrong with a leaky neuron (nil when τ is infinite: no leak). snnTorch writes
    /// `τ = dt/(1 − β)` with dt = 1e-4, so β is named too.
    func leakProblem(_ tau: NIRTensor, _ tauSyn: NIRTensor?, _ vLeak: NIRTensor) -> String? {
        guard let t = (tau.values + (tauSyn?.values ?? [])).first(where: { $0.isFinite }) else { return nil }
        let beta = 1 - 1e-4 / t
        return "leaks (τ = \(fmt(t))\(tauSyn.map { ", τ_syn = \(fmt($0.values.first ?? 0))" } ?? ""), v_leak = \(fmt(vLeak.values.first ?? 0))"
            + (beta > 0 && beta < 1 ? "; from snnTorch, whose dt is 1e-4, that is β = \(String(format: "%.4g", beta))" : "")
            + "); SpikeForge's neurons do not leak (SPEC §1). `--leak ignore` maps it to IF and drops the leak"
    }

    func fold(_ p: inout FloatLayer, _ effective: [Double], rowsPer: Int) {
        let ref = effective.sorted()[effective.count / 2]
        p.threshold = ref
        guard Set(effective).count > 1 else { return }
        let perRow = p.kind == .dense ? p.input.count : p.weights.count / p.output.channels
        for i in 0 ..< p.weights.count { p.weights[i] *= ref / effective[(i / perRow) * rowsPer] }
        for i in 0 ..< p.bias.count { p.bias[i] *= ref / effective[i] }
    }

    mutating func output(_ name: String, _ s: [Int]) {
        if let s = inputScale, Set(s).count > 1 || (s.first ?? 0) <= 0 {
            return report(name, .unsupported, "a Scale after the last layer changes the class order")
        }
        if var p = pending {
            guard !p.kind.isPool else { return report(name, .unsupported, "the last layer is a pooling; SpikeForge's output layer is weighted (Affine or Linear)") }
            p.bias = p.bias.map { $0 * Double(timesteps) }
            p.isOutput = true
            p.mode = graph.metadata["spikeforge_output_mode"]?.strings?.first.flatMap(NeuronMode.init(rawValue:)) ?? .linear
            p.flush = (try? graph.metadataInteger("spikeforge_output_flush", in: 0 ... 1)?.get()) == 1
            layers.append(p)
            pending = nil
        } else if var last = layers.popLast(), let neuron = lastNeuron {
            guard !last.kind.isPool else { return report(name, .unsupported, "the last layer is a pooling") }
            last.isOutput = true
            last.mode = graph.metadata["spikeforge_output_mode"]?.strings?.first.flatMap(NeuronMode.init(rawValue:)) ?? .linear
            last.flush = false
            layers.append(last)
            if let i = reports.lastIndex(where: { $0.node == neuron }) {
                reports[i].status = .approximated
                reports[i].note = "output neurons dropped: SpikeForge's output layer does not fire, the class is argmax of its potential, not of a spike count (the same class unless counts tie)"
            }
        } else {
            return report(name, .unsupported, "no layer before the output")
        }
        let n = s.reduce(1) { $0.multipliedReportingOverflow(by: $1).overflow || $1 < 0 ? -1 : $0 * $1 }
        guard n == layers.last!.output.count else { return report(name, .unsupported, "shape \(s), expected \(layers.last!.output.count) outputs") }
        report(name, .exact, "\(n) logits (class = argmax, ties to the lowest index)")
    }
}

func fmt(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(format: "%.4g", v) }
