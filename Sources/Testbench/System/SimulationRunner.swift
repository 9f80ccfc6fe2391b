import CycleModels
import Datasets
import Foundation
import SpikeForgeCore
import Trainer
import VerilatorBridge

/// The engine a compiled system runs on.
public enum SimulationEngine: String, CaseIterable, Sendable {
    /// `SystemModel`, the Swift cycle model (counts SRAM accesses and flit-hops).
    case model
    /// The Verilated system RTL.
    case verilator
}

/// The engines a run asks for: one, or both to compare them image by image.
public enum EngineSelection: String, CaseIterable, Sendable {
    case model, verilator, both

    /// The engines, in the order they run.
    public var engines: [SimulationEngine] {
        switch self {
        case .model: return [.model]
        case .verilator: return [.verilator]
        case .both: return [.model, .verilator]
        }
    }
}

/// Runs a design's images on an engine, checking every image against the trainer's integer
/// model, optionally as `jobs` engines in parallel (each loads its own SRAMs).
public struct SimulationRunner: Sendable {
    public var design: DesignDir
    public var load: LoadMethod
    /// Input spikes as one multicast per event (true) or one unicast per first-layer tile.
    public var multicast: Bool
    /// An FST waveform of the Verilated run (one job only).
    public var trace: String?
    /// Cycles a phase may take before the run is declared stuck.
    public var timeout: Int
    public var jobs: Int
    /// Threads of each Verilated engine (Verilator's `--threads`; 1: single-threaded).
    public var threads = 1
    /// Status lines (the Verilator build), as the run goes.
    public var log: @Sendable (String) -> Void
    /// Progress text (images done so far; carriage returns, no newline until the end).
    public var progress: @Sendable (String) -> Void

    public init(design: DesignDir, load: LoadMethod, multicast: Bool = true, trace: String? = nil, timeout: Int = 5_000_000, jobs: Int = 1,
                log: @escaping @Sendable (String) -> Void = { _ in }, progress: @escaping @Sendable (String) -> Void = { _ in }) {
        self.design = design
        self.load = load
        self.multicast = multicast
        self.trace = trace
        self.timeout = timeout
        self.jobs = jobs
        self.log = log
        self.progress = progress
    }

    /// Runs `engines` (one after the other) on the images of `spec`: what `simulate --shard`
    /// writes.
    public func shard(_ spec: ShardSpec, engines: [SimulationEngine], on set: ImageSet) throws -> ShardResult {
        let range = spec.range(total: set.count)
        let runs = try engines.map { try simulate($0, set: set, range: range, trace: spec.count == 1 ? trace : nil) }
        let system = try design.plan.json()
        let identity = RunIdentity(systemDigest: Checksum.sha256(Data(system.utf8)), images: set.identity, load: load.rawValue, multicast: multicast)
        return ShardResult(identity: identity, system: system, shard: spec, range: range, runs: runs)
    }

    /// Runs `jobs` engines in parallel, each on one shard of the images (`ShardSpec`), and builds
    /// the run from their results as `spikeforge merge` does (`ShardMerge.merged`; these shards
    /// are one run by construction, so there is nothing to check); `seconds` is the wall-clock
    /// time of the whole parallel run, less the longest setup.
    public func run(_ engine: SimulationEngine, on set: ImageSet) throws -> SimulationRun {
        let d = design
        let n = max(1, min(jobs, set.count))
        if n > 1 && engine != .model { _ = try SystemEngines.verilator(d.plan.system, imagesDir: load == .backdoor ? d.imagesDir : nil, builder: try VerilatorBuild(), threads: threads) }
        let ranges = (1 ... n).map { ShardSpec(index: $0, count: n).range(total: set.count) }
        let results = Box<[Result<EngineShard, Error>]>(Array(repeating: .failure(CancellationError()), count: n))
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: n) { k in
            let r = Result { try simulate(engine, set: set, range: ranges[k], trace: n == 1 ? trace : nil, progress: k == 0) }
            results.lock.lock()
            results.value[k] = r
            results.lock.unlock()
        }
        var merged = ShardMerge.merged(engine, try zip(ranges, results.value).map { (first: $0.lowerBound, run: try $1.get()) }, plan: d.plan)
        if n > 1 { merged.seconds = Date().timeIntervalSince(start) - merged.setupSeconds }
        merged.timing = .wallClock(jobs: n)
        return merged
    }

    func simulate(_ engine: SimulationEngine, set: ImageSet, range: Range<Int>, trace: String?, progress: Bool = true) throws -> EngineShard {
        let d = design
        let setup = Date()
        switch engine {
        case .model:
            var m = SystemModel(d.plan.system)
            if load == .backdoor { m.load(d.images) }
            return try run(SystemDriver(m, plan: d.plan), set, range, engine: engine, setup: setup, activity: { $0.activity }, progress: progress)
        case .verilator:
            let builder = try VerilatorBuild()
            let (v, built) = try SystemEngines.verilator(d.plan.system, imagesDir: load == .backdoor ? d.imagesDir : nil, builder: builder, trace: trace != nil, threads: threads)
            if progress { log("Verilator model \(built.top.name): \(built.cached ? "cached" : String(format: "built in %.1f s", built.seconds))") }
            if let trace { try v.trace(to: trace) }
            return try run(SystemDriver(v, plan: d.plan), set, range, engine: engine, setup: setup, activity: nil, progress: progress)
        }
    }

    func run<D: HostPortDevice>(_ driver: SystemDriver<D>, _ set: ImageSet, _ range: Range<Int>, engine: SimulationEngine, setup: Date,
                               activity: ((D) -> (tiles: [PECoreModel.Counters], hops: Int))?, progress: Bool) throws -> EngineShard {
        let d = design
        var drv = driver
        drv.multicast = multicast
        drv.limit = timeout
        drv.powerOnReset()
        var loadCycles = 0
        if load == .packets { loadCycles = try drv.load(d.images) }
        let a0 = activity?(drv.device)
        let engineInt = IntegerEngine(d.model)
        var images: [ImageResult] = []
        images.reserveCapacity(range.count)
        let start = Date()
        let cyclesAtStart = drv.cycle
        for i in range {
            let levels = d.model.levels(set.image(i))
            let got = try drv.infer(levels: levels)
            let want = engineInt.trace(levels: levels)
            images.append(ImageResult(got, label: Int(set.labels[i]), integerLogits: want.logits))
            let done = i + 1 - range.lowerBound
            if progress && done % 250 == 0 {
                self.progress(String(format: "\r%@: %d/%d images, %.1f images/s", engine.rawValue, done, range.count, Double(done) / Date().timeIntervalSince(start)))
            }
        }
        if progress && range.count >= 250 { self.progress("\n") }
        let seconds = Date().timeIntervalSince(start)
        var tiles: [PECoreModel.Counters]?, hops = 0
        if let a0, let a1 = activity?(drv.device) {
            tiles = zip(a1.tiles, a0.tiles).map { $0 - $1 }
            hops = a1.hops - a0.hops
        }
        let counters = tiles.map { $0.reduce(PECoreModel.Counters(), +) }
        return EngineShard(engine: engine.rawValue, loadCycles: loadCycles, simulatedCycles: drv.cycle - cyclesAtStart, flitHops: hops, seconds: seconds,
                           setupSeconds: start.timeIntervalSince(setup), counters: counters, tiles: tiles, images: images)
    }
}

/// A value shared by the parallel jobs under a lock.
final class Box<T>: @unchecked Sendable {
    let lock = NSLock()
    var value: T
    init(_ v: T) { value = v }
}
