import ArgumentParser
import Compiler
import CycleModels
import Datasets
import Foundation
import Generators
import SpikeForgeCore
import Testbench
import VerilatorBridge
import Trainer
import VerilogEmitter

/// Per-event energies of the estimate (docs/ENERGY.md gives the derivation and sources).
enum EnergyModel {
    struct Event {
        var name: String
        var picojoules: Double
        var source: String
    }

    /// pJ per bit of an SRAM access: Horowitz (ISSCC 2014, 45 nm) gives 10 pJ for a 64-bit read
    /// of an 8 KB SRAM and 20 pJ for 32 KB, 100 pJ for 1 MB; interpolated in log(size).
    static func sramPerBit(bytes: Int) -> Double {
        let pts: [(Double, Double)] = [(8192, 10), (32768, 20), (1_048_576, 100)]
        let s = Double(max(bytes, 1))
        if s <= pts[0].0 { return pts[0].1 / 64 }
        for (a, b) in zip(pts, pts.dropFirst()) where s <= b.0 {
            let t = log(s / a.0) / log(b.0 / a.0)
            return (a.1 + t * (b.1 - a.1)) / 64
        }
        return pts[2].1 / 64
    }

    static let add = Event(name: "synaptic add (32-bit)", picojoules: 0.1, source: "Horowitz, ISSCC 2014, 45 nm: 32-bit integer add 0.1 pJ")
    static func flitHop(bits: Int) -> Event {
        Event(name: "flit-hop (\(bits)-bit)", picojoules: Double(bits) * 0.0404 + 10,
              source: "link: Park et al., DATE 2013, 45 nm mesh NoC, 40.4 fJ/bit/mm over an assumed 1 mm tile pitch; router: one 64-bit 8 KB SRAM access (Horowitz 2014, 10 pJ) as a pessimistic stand-in for buffer write, read and crossbar")
    }

    static func sram(_ c: PEConfig, _ m: PEMemory) -> Event {
        let (w, d) = c.geometry(m)
        let bytes = w * d / 8
        let e = sramPerBit(bytes: bytes) * Double(w)
        return Event(name: "\(m) SRAM access (\(w)-bit word, \(bytes / 1024) KB)", picojoules: e,
                     source: "Horowitz, ISSCC 2014, 45 nm: 64-bit SRAM read 10 pJ (8 KB) / 20 pJ (32 KB), per bit, interpolated by size")
    }
}

/// `spikeforge simulate`: runs a design on the cycle model or the Verilated RTL (or both, to
/// compare them and their speed), checks every image against the trainer's integer model, and
/// reports accuracy, cycles, spikes, NoC and SRAM activity and an energy estimate.
public struct Simulate: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Run a design's images on the cycle model or the Verilated system and compare with the integer model.",
        discussion: "The design directory comes from spikeforge export (system.json, model/, images/, and rtl/ from generate system)."
    )

    @Option(help: "Design directory (from spikeforge export).") var design: String = "spikeforge-design"
    @Option(help: "MNIST directory (the t10k split is used). Without it, the built-in generated test digits.") var images: String?
    @Option(name: .customLong("generated-test"), help: "Generated test images (without --images).") var generatedTest: Int = 2000
    @Option(help: "Engine: model, verilator, or both (same images on each, compared image by image, speeds side by side).") var engine: String = "model"
    @Option(help: "Run only the first N images.") var limit: Int?
    @Option(help: "SRAM loading: packets (configuration packets through the host port) or backdoor ($readmemh / direct).") var load: String = "packets"
    @Flag(help: "Send input spikes as one unicast per first-layer tile instead of one multicast.") var unicast = false
    @Option(help: "Write an FST waveform of the Verilated run (use with a small --limit).") var trace: String?
    @Option(help: "Cycles a phase may take before the run is declared stuck.") var timeout: Int = 5_000_000
    @Option(help: "Parallel engines, each on a contiguous share of the images (each loads its own SRAMs).") var jobs: Int = 1

    public init() {}

    public func validate() throws {
        var p: [String] = []
        if !["model", "verilator", "both"].contains(engine) { p.append("--engine: got '\(engine)', expected model, verilator or both") }
        if LoadMethod(rawValue: load) == nil { p.append("--load: got '\(load)', expected packets or backdoor") }
        if let l = limit, l < 1 { p.append("--limit: got \(l), expected at least 1") }
        if generatedTest < 1 { p.append("--generated-test: got \(generatedTest), expected at least 1") }
        if trace != nil && engine == "model" { p.append("--trace: needs --engine verilator or both (the waveform is the RTL's)") }
        if timeout < 100 { p.append("--timeout: got \(timeout), expected at least 100") }
        if jobs < 1 || jobs > 64 { p.append("--jobs: got \(jobs), expected 1...64") }
        if trace != nil && jobs > 1 { p.append("--trace: needs --jobs 1 (one waveform)") }
        if !p.isEmpty { throw ValidationError(p.joined(separator: "\n")) }
    }

    public func run() throws {
        let d = try DesignDir.open(URL(fileURLWithPath: design))
        let set: ImageSet
        if let images { set = try ImageSet.mnist(directory: images, split: "t10k", limit: limit) } else {
            set = GeneratedDigits.make(count: generatedTest, seed: DataOptions.generatedSeed, split: "test").prefix(limit)
        }
        try d.model.architecture.check(set)
        let loadMethod = LoadMethod(rawValue: load)!
        Export.describe(d.plan)
        print("images: \(set.source), \(set.count); load: \(loadMethod.rawValue); input spikes: \(unicast ? "unicast" : "multicast")\n")
        var results: [String: SimulationRun] = [:]
        for e in engine == "both" ? ["model", "verilator"] : [engine] {
            let r = try Self.parallel(d, set: set, jobs: jobs, engine: e, load: loadMethod, multicast: !unicast, trace: trace, timeout: timeout)
            r.print()
            results[e] = r
        }
        if let m = results["model"], let v = results["verilator"] {
            let diffs = zip(m.inferences, v.inferences).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
            print("model vs Verilator: \(diffs.isEmpty ? "identical" : "\(diffs.count) images differ (first: \(diffs.prefix(10)))") in logits, spikes and every phase's cycles on all \(m.inferences.count) images")
            print(String(format: "simulation speed: model %.1f images/s, Verilator %.1f images/s: model/Verilator = %.2fx (same images, same run)",
                         m.imagesPerSecond, v.imagesPerSecond, m.imagesPerSecond / v.imagesPerSecond))
            if !diffs.isEmpty { throw CLIError.failed(what: "the cycle model and the RTL differ", details: diffs.prefix(10).map { "image \($0)" }) }
        }
        let bad = results.values.flatMap(\.mismatches)
        if !bad.isEmpty { throw CLIError.failed(what: "\(bad.count) image(s) differ from the trainer's integer model", details: Array(bad.prefix(20))) }
    }

    /// Runs `jobs` engines in parallel, each on a contiguous share of the images, and merges
    /// their results in image order (times are wall-clock over the whole parallel run).
    static func parallel(_ d: DesignDir, set: ImageSet, jobs: Int, engine: String, load: LoadMethod, multicast: Bool, trace: String?,
                         timeout: Int) throws -> SimulationRun {
        let n = min(jobs, set.count)
        if n <= 1 { return try simulate(d, set: set, range: 0 ..< set.count, engine: engine, load: load, multicast: multicast, trace: trace, timeout: timeout) }
        if engine != "model" { _ = try SystemEngines.verilator(d.plan.system, imagesDir: load == .backdoor ? d.imagesDir : nil, builder: try VerilatorBuild()) }
        let results = Box<[Result<SimulationRun, Error>?]>(Array(repeating: nil, count: n))
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: n) { k in
            let lo = set.count * k / n, hi = set.count * (k + 1) / n
            let r = Result { try simulate(d, set: set, range: lo ..< hi, engine: engine, load: load, multicast: multicast, trace: nil, timeout: timeout, progress: k == 0) }
            results.lock.lock()
            results.value[k] = r
            results.lock.unlock()
        }
        var merged = try results.value[0]!.get()
        for r in results.value.dropFirst() { merged.merge(try r!.get()) }
        merged.seconds = Date().timeIntervalSince(start) - merged.setupSeconds
        merged.jobs = n
        return merged
    }

    static func simulate(_ d: DesignDir, set: ImageSet, range: Range<Int>, engine: String, load: LoadMethod, multicast: Bool, trace: String?, timeout: Int,
                         progress: Bool = true) throws -> SimulationRun {
        let setup = Date()
        if engine == "model" {
            var m = SystemModel(d.plan.system)
            if load == .backdoor { m.load(d.images) }
            return try run(SystemDriver(m, plan: d.plan), d, set, range, engine: engine, load: load, multicast: multicast, timeout: timeout, setup: setup,
                           activity: { ($0 as! SystemModel).activity }, progress: progress)
        }
        let builder = try VerilatorBuild()
        let (v, built) = try SystemEngines.verilator(d.plan.system, imagesDir: load == .backdoor ? d.imagesDir : nil, builder: builder, trace: trace != nil)
        if progress { print("Verilator model \(built.top.name): \(built.cached ? "cached" : String(format: "built in %.1f s", built.seconds))") }
        if let trace { try v.trace(to: trace) }
        return try run(SystemDriver(v, plan: d.plan), d, set, range, engine: engine, load: load, multicast: multicast, timeout: timeout, setup: setup,
                       activity: nil, progress: progress)
    }

    static func run<D: ClockedDevice>(_ driver: SystemDriver<D>, _ d: DesignDir, _ set: ImageSet, _ range: Range<Int>, engine: String, load: LoadMethod, multicast: Bool,
                                      timeout: Int, setup: Date, activity: ((D) -> (events: PECoreModel.Counters, hops: Int))?,
                                      progress: Bool) throws -> SimulationRun {
        var drv = driver
        drv.multicast = multicast
        drv.limit = timeout
        drv.powerOnReset()
        var loadCycles = 0
        if load == .packets { loadCycles = try drv.load(d.images) }
        let a0 = activity?(drv.device)
        let engineInt = IntegerEngine(d.model)
        var r = SimulationRun(engine: engine, plan: d.plan, model: d.model, loadCycles: loadCycles)
        let start = Date()
        let cyclesAtStart = drv.cycle
        for i in range {
            let levels = d.model.levels(set.image(i))
            let got = try drv.infer(levels: levels)
            let want = engineInt.trace(levels: levels)
            if got.logits != want.logits { r.mismatches.append("image \(i): output potentials \(got.logits), integer model \(want.logits)") }
            if got.prediction == Int(set.labels[i]) { r.correct += 1 }
            if want.prediction == Int(set.labels[i]) { r.integerCorrect += 1 }
            r.inferences.append(got)
            let done = i + 1 - range.lowerBound
            if progress && done % 250 == 0 {
                FileHandle.standardError.write(Data(String(format: "\r%@: %d/%d images, %.1f images/s", engine, done, range.count, Double(done) / Date().timeIntervalSince(start)).utf8))
            }
        }
        if progress && range.count >= 250 { FileHandle.standardError.write(Data("\n".utf8)) }
        r.seconds = Date().timeIntervalSince(start)
        r.setupSeconds = start.timeIntervalSince(setup)
        r.simulatedCycles = drv.cycle - cyclesAtStart
        if let a0, let a1 = activity?(drv.device) {
            r.events = a1.events - a0.events
            r.flitHops = a1.hops - a0.hops
        }
        return r
    }
}

final class Box<T>: @unchecked Sendable {
    let lock = NSLock()
    var value: T
    init(_ v: T) { value = v }
}

/// A design directory: the plan, its model (checked against the plan's digest), its verified
/// images, and (when present) RTL that must match the plan.
struct DesignDir: Sendable {
    var url: URL
    var plan: SystemPlan
    var model: IntegerModel
    var images: SystemImages
    var imagesDir: URL { url.appendingPathComponent("images") }

    static func open(_ url: URL) throws -> DesignDir {
        let plan = try SystemPlan.load(url.appendingPathComponent("system.json"))
        let (model, _) = try ModelFile.load(url.appendingPathComponent("model"))
        if model.digest != plan.model.digest {
            throw CompileError.file(path: url.appendingPathComponent("model").path, problems: ["model digest \(model.digest.prefix(12))…, but system.json was compiled from \(plan.model.digest.prefix(12))…"])
        }
        let images = try SystemImages.load(from: url.appendingPathComponent("images"), expected: plan.system, modelDigest: plan.model.digest)
        let rtl = url.appendingPathComponent("rtl")
        if FileManager.default.fileExists(atPath: rtl.path) {
            let files = try VerilogEmitter.emit(try SystemGenerator.design(plan.system), version: SpikeForgeVersion.string)
            var stale: [String] = []
            for f in files where f.name.hasSuffix(".v") {
                let have = try? String(contentsOf: rtl.appendingPathComponent(f.name), encoding: .utf8)
                if have != f.contents { stale.append("\(f.name) \(have == nil ? "is missing" : "differs from what system.json generates")") }
            }
            if !stale.isEmpty { throw CompileError.file(path: rtl.path, problems: stale + ["regenerate with: spikeforge generate system --config \(url.path)/system.json --out \(rtl.path)"]) }
        }
        return DesignDir(url: url, plan: plan, model: model, images: images)
    }
}

/// The results of one engine's run over an image set.
struct SimulationRun {
    var engine: String
    var plan: SystemPlan
    var model: IntegerModel
    var loadCycles: Int
    var inferences: [Inference] = []
    var mismatches: [String] = []
    var correct = 0, integerCorrect = 0
    var seconds = 0.0, setupSeconds = 0.0
    var simulatedCycles = 0
    var events: PECoreModel.Counters?
    var flitHops = 0
    var jobs = 1

    /// Appends the results of the next share of the images.
    mutating func merge(_ o: SimulationRun) {
        inferences += o.inferences
        mismatches += o.mismatches
        correct += o.correct
        integerCorrect += o.integerCorrect
        simulatedCycles += o.simulatedCycles
        setupSeconds = max(setupSeconds, o.setupSeconds)
        flitHops += o.flitHops
        if let e = events, let f = o.events { events = e + f }
    }

    var count: Int { inferences.count }
    var imagesPerSecond: Double { Double(count) / max(seconds, 1e-9) }

    static func p99(_ v: [Int]) -> Int {
        let s = v.sorted()
        return s.isEmpty ? 0 : s[min(s.count - 1, Int((Double(s.count) * 0.99).rounded(.up)) - 1)]
    }

    /// Synaptic operations of one inference: every input event reaches every neuron of the first
    /// layer, every spike every neuron of the next layer.
    func synapticOps(_ i: Inference) -> Int {
        var ops = i.inputEvents * plan.layers[0].outputs
        for l in 0 ..< plan.layers.count - 1 { ops += i.spikesPerLayer[l] * plan.layers[l + 1].outputs }
        return ops
    }

    func print() {
        let n = Double(max(count, 1))
        let lanes = plan.system.pe.lanes
        Swift.print("== \(engine) ==")
        Swift.print(String(format: "accuracy: %.2f%% (%d/%d); integer model %.2f%%; output potentials differing from the integer model: %d image(s)",
                           100 * Double(correct) / n, correct, count, 100 * Double(integerCorrect) / n, mismatches.count))
        for m in mismatches.prefix(5) { Swift.print("  \(m)") }
        let compute = inferences.map(\.computeCycles), total = inferences.map(\.totalCycles)
        let meanC = Double(compute.reduce(0, +)) / n, meanT = Double(total.reduce(0, +)) / n
        Swift.print(String(format: "cycles per image: inference mean %.1f, p99 %d; reset %.1f, read-back %.1f; total mean %.1f, p99 %d (loading: %d cycles, once)",
                           meanC, Self.p99(compute), Double(inferences.map(\.resetCycles).reduce(0, +)) / n, Double(inferences.map(\.readoutCycles).reduce(0, +)) / n,
                           meanT, Self.p99(total), loadCycles))
        let ops = inferences.map(synapticOps).reduce(0, +)
        let bound = Double(ops) / Double(plan.activeTiles * lanes) / n
        Swift.print(String(format: "lower bound (synaptic ops %.0f / (%d active tiles x %d lanes)): %.1f cycles; inference / bound = %.2fx", Double(ops) / n,
                           plan.activeTiles, lanes, bound, meanC / max(bound, 1e-9)))
        Swift.print(String(format: "at 100 MHz: %.4f ms per image (inference), %.4f ms with reset and read-back; YOSO reports 47.71 ms", meanC / 1e5, meanT / 1e5))
        let spikes = (0 ..< plan.layers.count - 1).map { l in Double(inferences.map { $0.spikesPerLayer[l] }.reduce(0, +)) / n }
        Swift.print("spikes per image: input events \(String(format: "%.1f", Double(inferences.map(\.inputEvents).reduce(0, +)) / n))"
            + zip(plan.layers, spikes).map { ", \($0.0.name) \(String(format: "%.1f", $0.1))" }.joined())
        if let e = events {
            let c = plan.system.pe
            Swift.print(String(format: "NoC flit-hops per image: %.1f", Double(flitHops) / n))
            Swift.print("SRAM accesses per image (reads / writes): " + c.srams.map { m in
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
            Swift.print("energy estimate (docs/ENERGY.md):\n" + Table.render(rows))
            Swift.print(String(format: "total: %.2f nJ per image (%.3f uJ)", totalPJ / 1000, totalPJ / 1e6))
        } else {
            Swift.print("NoC flit-hops, SRAM accesses, energy: counted by the cycle model (--engine model or both), which is cycle-exact with this RTL")
        }
        Swift.print(String(format: "simulation: %.1f images/s, %.0f simulated cycles/s (%.1f s for %d images on %d engine%@; setup and loading %.1f s)\n", imagesPerSecond,
                           Double(simulatedCycles) / max(seconds, 1e-9), seconds, count, jobs, jobs == 1 ? "" : "s in parallel", setupSeconds))
    }
}
