import Compiler
import CycleModels
import Foundation
import SpikeForgeCore
import Trainer

/// The results of one engine's run over an image set: what `spikeforge simulate` reports.
public struct SimulationRun: Sendable {
    public var engine: SimulationEngine
    public var plan: SystemPlan
    public var loadCycles: Int
    public var inferences: [Inference] = []
    /// The label of each image of `inferences`.
    public var labels: [Int] = []
    public var mismatches: [String] = []
    public var correct = 0, integerCorrect = 0
    public var seconds = 0.0, setupSeconds = 0.0
    public var simulatedCycles = 0
    public var events: PECoreModel.Counters?
    public var flitHops = 0
    /// Engines that ran in parallel (`seconds` is then the wall-clock time of the whole run).
    public var jobs = 1
    /// When merged from that many shard results (`spikeforge merge`): `seconds` is then the sum
    /// of the shards' times, engine-seconds, whatever ran in parallel.
    public var summedShards = 0

    public init(engine: SimulationEngine, plan: SystemPlan, loadCycles: Int) {
        self.engine = engine
        self.plan = plan
        self.loadCycles = loadCycles
    }

    public var count: Int { inferences.count }
    public var imagesPerSecond: Double { Double(count) / max(seconds, 1e-9) }

    public static func p99(_ v: [Int]) -> Int {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[min(s.count - 1, Int((Double(s.count) * 0.99).rounded(.up)) - 1)]
    }

    /// Synaptic operations of one inference: every input event and every spike reaches its
    /// layer's fan-out (every neuron of a dense layer; for a conv layer the mean fan-out of its
    /// inputs, `out channels × k² × output positions ÷ input positions`; one neuron of a pool layer).
    public func synapticOps(_ i: Inference) -> Int {
        var ops = Double(i.inputEvents) * plan.layers[0].meanFanOut
        for l in 0 ..< plan.layers.count - 1 { ops += Double(i.spikesPerLayer[l]) * plan.layers[l + 1].meanFanOut }
        return Int(ops.rounded())
    }

    /// The report of the run, one element per printed line (an element may hold a table):
    /// accuracy, cycles per image against the lower bound, spikes, NoC and SRAM activity, the
    /// energy estimate (when the engine counted events) and the simulation speed.
    public func report() -> [String] {
        var out: [String] = []
        let n = Double(max(count, 1))
        let lanes = plan.system.pe.lanes
        out.append("== \(engine.rawValue) ==")
        out.append(String(format: "accuracy: %.2f%% (%d/%d); integer model %.2f%%; output potentials differing from the integer model: %d image(s)",
                          100 * Double(correct) / n, correct, count, 100 * Double(integerCorrect) / n, mismatches.count))
        for m in mismatches.prefix(5) { out.append("  \(m)") }
        let compute = inferences.map(\.computeCycles), total = inferences.map(\.totalCycles)
        let meanC = Double(compute.reduce(0, +)) / n, meanT = Double(total.reduce(0, +)) / n
        out.append(String(format: "cycles per image: inference mean %.1f, p99 %d; reset %.1f, read-back %.1f; total mean %.1f, p99 %d (loading: %d cycles, once)",
                          meanC, Self.p99(compute), Double(inferences.map(\.resetCycles).reduce(0, +)) / n, Double(inferences.map(\.readoutCycles).reduce(0, +)) / n,
                          meanT, Self.p99(total), loadCycles))
        let ops = inferences.map(synapticOps).reduce(0, +)
        let bound = Double(ops) / Double(plan.activeTiles * lanes) / n
        out.append(String(format: "lower bound (synaptic ops %.0f / (%d active tiles x %d lanes)): %.1f cycles; inference / bound = %.2fx", Double(ops) / n,
                          plan.activeTiles, lanes, bound, meanC / max(bound, 1e-9)))
        out.append(String(format: "at 100 MHz: %.4f ms per image (inference), %.4f ms with reset and read-back; YOSO reports 47.71 ms", meanC / 1e5, meanT / 1e5))
        let spikes = (0 ..< plan.layers.count - 1).map { l in Double(inferences.map { $0.spikesPerLayer[l] }.reduce(0, +)) / n }
        out.append("spikes per image: input events \(String(format: "%.1f", Double(inferences.map(\.inputEvents).reduce(0, +)) / n))"
            + zip(plan.layers, spikes).map { ", \($0.0.name) \(String(format: "%.1f", $0.1))" }.joined())
        if let e = events {
            out += activityReport(e, n: n)
        } else {
            out.append("NoC flit-hops, SRAM accesses, energy: counted by the cycle model (--engine model or both), which is cycle-exact with this RTL")
        }
        if summedShards > 0 {
            out.append(String(format: "simulation: %.1f images/s per engine, %.0f simulated cycles/s (%.1f engine-seconds summed over %d shard%@ for %d images; setup and loading at most %.1f s per shard)\n",
                              imagesPerSecond, Double(simulatedCycles) / max(seconds, 1e-9), seconds, summedShards, summedShards == 1 ? "" : "s", count, setupSeconds))
        } else {
            out.append(String(format: "simulation: %.1f images/s, %.0f simulated cycles/s (%.1f s for %d images on %d engine%@; setup and loading %.1f s)\n", imagesPerSecond,
                              Double(simulatedCycles) / max(seconds, 1e-9), seconds, count, jobs, jobs == 1 ? "" : "s in parallel", setupSeconds))
        }
        return out
    }

    /// NoC flit-hops, SRAM accesses and the energy estimate per image.
    func activityReport(_ e: PECoreModel.Counters, n: Double) -> [String] {
        var out: [String] = []
        let c = plan.system.pe
        out.append(String(format: "NoC flit-hops per image: %.1f", Double(flitHops) / n))
        out.append("SRAM accesses per image (reads / writes): " + c.srams.map { m in
            String(format: "%@ %.0f / %.0f", "\(m)", Double(e.sramReads[m.rawValue]) / n, Double(e.sramWrites[m.rawValue]) / n)
        }.joined(separator: ", "))
        var rows: [[String]] = [["event", "per image", "pJ each", "nJ per image", "source"]]
        var totalPJ = 0.0
        func add(_ ev: EnergyModel.Event, _ count: Double) {
            totalPJ += ev.picojoules * count
            rows.append([ev.name, String(format: "%.0f", count), String(format: "%.3f", ev.picojoules), String(format: "%.2f", ev.picojoules * count / 1000), ev.source])
        }
        add(EnergyModel.add, Double(e.synapticOps) / n)
        for m in c.srams where e.sramReads[m.rawValue] + e.sramWrites[m.rawValue] > 0 {
            add(EnergyModel.sram(c, m), Double(e.sramReads[m.rawValue] + e.sramWrites[m.rawValue]) / n)
        }
        add(EnergyModel.flitHop(bits: c.flitWidth), Double(flitHops) / n)
        out.append("energy estimate (docs/ENERGY.md):\n" + Table.render(rows))
        out.append(String(format: "total: %.2f nJ per image (%.3f uJ)", totalPJ / 1000, totalPJ / 1e6))
        return out
    }

    /// Indices of the images on which two runs differ in logits, spikes or any phase's cycles.
    public func differences(from other: SimulationRun) -> [Int] {
        zip(inferences, other.inferences).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
    }

    /// The header of `resultsCSV`.
    public static let resultsHeader = "engine,image,label,prediction,reset,compute,readout,inputEvents,spikes,logits"

    /// One line per engine (in name order) and image (0-based within the run): label,
    /// prediction, the cycles of each phase, input events, the spikes of each layer and the
    /// output potentials (each list space-separated), after `resultsHeader`; newline-terminated.
    public static func resultsCSV(_ runs: [SimulationRun]) -> String {
        var lines = [resultsHeader]
        for r in runs.sorted(by: { $0.engine.rawValue < $1.engine.rawValue }) {
            for (k, i) in r.inferences.enumerated() {
                let spikes = i.spikesPerLayer.map(String.init).joined(separator: " "), logits = i.logits.map(String.init).joined(separator: " ")
                lines.append("\(r.engine.rawValue),\(k),\(r.labels[k]),\(i.prediction),\(i.resetCycles),\(i.computeCycles),\(i.readoutCycles),\(i.inputEvents),\(spikes),\(logits)")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
