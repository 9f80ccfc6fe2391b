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
    /// `events` per tile, row-major (nil when a shard did not keep them).
    public var tileEvents: [PECoreModel.Counters]?
    public var flitHops = 0
    /// How `seconds` was measured.
    public enum Timing: Sendable, Equatable {
        /// The wall-clock time of the whole run on `jobs` engines in parallel.
        case wallClock(jobs: Int)
        /// The sum of `shards` shard results' times (`spikeforge merge`): engine-seconds,
        /// whatever ran in parallel.
        case summed(shards: Int)
    }

    public var timing = Timing.wallClock(jobs: 1)

    /// The clock every "ms per image" figure assumes unless told otherwise: the PE tile's (router
    /// and core) maximum frequency after place and route on ECP5-85F, as `spikeforge report fpga
    /// --block pe` measures it (seed 1; docs/PE.md, "FPGA figures"). Re-measure it when the PE's
    /// RTL changes.
    public static let tileClockMHz = 54.8

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

    /// The figures of a run per image, as `report()` prints them and `sweep` tabulates them.
    public struct Summary: Codable, Sendable, Hashable {
        public var images = 0, correct = 0, integerCorrect = 0, mismatches = 0
        /// Cycles of the inference proper (first input spike to quiescence), mean and p99.
        public var inferenceMean = 0.0, inferenceP99 = 0
        public var resetMean = 0.0, readBackMean = 0.0
        /// Reset, inference and read-back together, mean and p99.
        public var totalMean = 0.0, totalP99 = 0
        /// Input events and spikes per image.
        public var inputEvents = 0.0, spikesPerLayer: [Double] = []
        /// Synaptic operations per image and the lower bound they give (every active tile's
        /// lanes busy every cycle), and inference / bound.
        public var synapticOps = 0.0, bound = 0.0, boundRatio = 0.0
        /// Flit-hops and the energy estimate in nJ per image; nil when the engine counted no events.
        public var flitHops: Double?, energyNJ: Double?
        public init() {}
    }

    public var summary: Summary {
        var s = Summary()
        let n = Double(max(count, 1))
        func mean(_ v: [Int]) -> Double { Double(v.reduce(0, +)) / n }
        (s.images, s.correct, s.integerCorrect, s.mismatches) = (count, correct, integerCorrect, mismatches.count)
        let compute = inferences.map(\.computeCycles), total = inferences.map(\.totalCycles)
        (s.inferenceMean, s.inferenceP99, s.totalMean, s.totalP99) = (mean(compute), Self.p99(compute), mean(total), Self.p99(total))
        (s.resetMean, s.readBackMean) = (mean(inferences.map(\.resetCycles)), mean(inferences.map(\.readoutCycles)))
        s.inputEvents = mean(inferences.map(\.inputEvents))
        s.spikesPerLayer = (0 ..< plan.layers.count - 1).map { l in mean(inferences.map { $0.spikesPerLayer[l] }) }
        s.synapticOps = mean(inferences.map(synapticOps))
        s.bound = s.synapticOps / Double(plan.activeTiles * plan.system.pe.lanes)
        s.boundRatio = s.inferenceMean / max(s.bound, 1e-9)
        if let e = events {
            s.flitHops = Double(flitHops) / n
            s.energyNJ = EnergyModel.estimate(plan.system.pe, events: e, flitHops: flitHops, images: n).nanojoulesPerImage
        }
        return s
    }

    /// The report of the run, one element per printed line (an element may hold a table):
    /// accuracy, cycles per image against the lower bound, spikes, NoC and SRAM activity, the
    /// energy estimate (when the engine counted events) and the simulation speed.
    public func report(clockMHz: Double = tileClockMHz) -> [String] {
        var out: [String] = []
        let s = summary
        let n = Double(max(count, 1))
        out.append("== \(engine.rawValue) ==")
        out.append(String(format: "accuracy: %.2f%% (%d/%d); integer model %.2f%%; output potentials differing from the integer model: %d image(s)",
                          100 * Double(correct) / n, correct, count, 100 * Double(integerCorrect) / n, mismatches.count))
        for m in mismatches.prefix(5) { out.append("  \(m)") }
        out.append(String(format: "cycles per image: inference mean %.1f, p99 %d; reset %.1f, read-back %.1f; total mean %.1f, p99 %d (loading: %d cycles, once)",
                          s.inferenceMean, s.inferenceP99, s.resetMean, s.readBackMean, s.totalMean, s.totalP99, loadCycles))
        out.append(String(format: "lower bound (synaptic ops %.0f / (%d active tiles x %d lanes)): %.1f cycles; inference / bound = %.2fx", s.synapticOps,
                          plan.activeTiles, plan.system.pe.lanes, s.bound, s.boundRatio))
        let clock = clockMHz == Self.tileClockMHz ? "the PE tile's ECP5-85F clock" : "--clock"
        out.append(String(format: "at %.1f MHz (%@): %.4f ms per image (inference), %.4f ms with reset and read-back; YOSO reports 47.71 ms", clockMHz, clock,
                          s.inferenceMean / (clockMHz * 1e3), s.totalMean / (clockMHz * 1e3)))
        out.append("spikes per image: input events \(String(format: "%.1f", s.inputEvents))"
            + zip(plan.layers, s.spikesPerLayer).map { ", \($0.0.name) \(String(format: "%.1f", $0.1))" }.joined())
        if let e = events {
            out += activityReport(e, n: n)
        } else {
            out.append("NoC flit-hops, SRAM accesses, energy: counted by the cycle model (--engine model or both), which is cycle-exact with this RTL")
        }
        switch timing {
        case let .summed(shards):
            out.append(String(format: "simulation: %.1f images/s per engine, %.0f simulated cycles/s (%.1f engine-seconds summed over %d shard%@ for %d images; setup and loading at most %.1f s per shard)\n",
                              imagesPerSecond, Double(simulatedCycles) / max(seconds, 1e-9), seconds, shards, shards == 1 ? "" : "s", count, setupSeconds))
        case let .wallClock(jobs):
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
            String(format: "%@ %.0f / %.0f", m == .state ? "state V" : "\(m)", Double(e.sramReads[m.rawValue]) / n, Double(e.sramWrites[m.rawValue]) / n)
                + (m == .state ? String(format: ", state z %.0f / %.0f", Double(e.stateZReads) / n, Double(e.stateZWrites) / n) : "")
        }.joined(separator: ", "))
        let estimate = EnergyModel.estimate(c, events: e, flitHops: flitHops, images: n)
        let rows = [["event", "per image", "pJ each", "nJ per image", "source"]] + estimate.items.map { ev, count in
            [ev.name, String(format: "%.0f", count), String(format: "%.3f", ev.picojoules), String(format: "%.2f", ev.picojoules * count / 1000), ev.source]
        }
        out.append("energy estimate (docs/ENERGY.md):\n" + Table.render(rows))
        out.append(String(format: "total: %.2f nJ per image (%.3f uJ)", estimate.picojoulesPerImage / 1000, estimate.picojoulesPerImage / 1e6))
        if let l = tileLoad { out.append(l) }
        return out
    }

    /// The per-tile counts, the indices of the tiles that hold a slice (at least one) and the
    /// image count: what `tileLoad` and `tileTable` share. Nil when the run kept no per-tile counts.
    var activeTiles: (counts: [PECoreModel.Counters], active: [Int], images: Double)? {
        guard let t = tileEvents, t.count == plan.tiles.count else { return nil }
        let active = plan.tiles.indices.filter { !plan.tiles[$0].slices.isEmpty }
        return active.isEmpty ? nil : (t, active, Double(max(count, 1)))
    }

    /// The active tiles' load per image: busy cycles and row operations, the mean tile's and the
    /// busiest tile's (all phases: reset, inference and read-back).
    var tileLoad: String? {
        guard let (t, active, n) = activeTiles else { return nil }
        func line(_ what: String, _ v: (PECoreModel.Counters) -> Int) -> String {
            let mean = active.map { Double(v(t[$0])) }.reduce(0, +) / Double(active.count) / n
            let k = active.max { v(t[$0]) < v(t[$1]) }!
            return String(format: "%@ mean %.1f, busiest tile (%d,%d) %.1f (%.2fx)", what, mean, plan.tiles[k].x, plan.tiles[k].y, Double(v(t[k])) / n,
                          Double(v(t[k])) / n / max(mean, 1e-9))
        }
        return "per-tile load per image (\(active.count) active tiles): " + line("busy cycles", \.busyCycles) + "; " + line("row ops", \.rowOps)
    }

    /// Every active tile's counts per image (`simulate --tiles`): row operations, spikes sent,
    /// busy cycles, and busy cycles against the mean active tile.
    public func tileTable() -> String? {
        guard let (t, active, n) = activeTiles else { return nil }
        let mean = active.map { Double(t[$0].busyCycles) }.reduce(0, +) / Double(active.count) / n
        let rows = [["tile", "slices", "row ops", "spikes sent", "busy cycles", "vs mean"]] + active.map { k -> [String] in
            let c = t[k], tile = plan.tiles[k]
            return ["(\(tile.x),\(tile.y))", tile.slices.map { "\(plan.layers[$0.layer].name) \($0.groups)g" }.joined(separator: " + "),
                    String(format: "%.1f", Double(c.rowOps) / n), String(format: "%.1f", Double(c.spikesSent) / n),
                    String(format: "%.1f", Double(c.busyCycles) / n), String(format: "%.2fx", Double(c.busyCycles) / n / max(mean, 1e-9))]
        }
        return Table.render(rows)
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
