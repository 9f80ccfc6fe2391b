import Compiler
import CycleModels
import Datasets
import Foundation
import SpikeForgeCore
import Trainer

/// The K-th (1-based) of N contiguous shares of an image set: images
/// `[count·(K−1)/N, count·K/N)`, the split `simulate --shard K/N` and `--jobs N` both use.
public struct ShardSpec: Hashable, Sendable, CustomStringConvertible {
    public var index: Int
    public var count: Int
    /// The most shards a run may have (a Slurm array of that many tasks is already unusual).
    public static let maxCount = 100_000

    public init(index: Int, count: Int) {
        self.index = index
        self.count = count
    }

    /// `K/N` checked, or what is wrong with it (got vs expected).
    public static func parse(_ text: String) -> Result<ShardSpec, ShardSpecProblem> {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            return .failure(ShardSpecProblem(text: "got '\(text)', expected K/N (shard K of N, e.g. 2/8)"))
        }
        if n < 1 || n > maxCount { return .failure(ShardSpecProblem(text: "got '\(text)': N = \(n), expected 1...\(maxCount)")) }
        if k < 1 || k > n { return .failure(ShardSpecProblem(text: "got '\(text)': K = \(k), expected 1...\(n) (shards are numbered from 1)")) }
        return .success(ShardSpec(index: k, count: n))
    }

    /// The images of this shard in a set of `total` (empty when there are more shards than images).
    public func range(total: Int) -> Range<Int> { total * (index - 1) / count ..< total * index / count }

    public var description: String { "\(index)/\(count)" }
}

/// Why a `K/N` text is not a shard.
public struct ShardSpecProblem: Error, Equatable, Sendable { public var text: String }

/// What a set of images is: where it came from, its shape and count, and a digest of its pixels
/// and labels (two sets with the same source text but other contents differ here). `sameSet`
/// compares the contents only: the same data named by another path is the same set.
public struct ImageSetIdentity: Codable, Hashable, Sendable {
    public var source: String
    public var count: Int
    /// `CxHxW`.
    public var shape: String
    /// SHA-256 over the shape, the pixels and the labels.
    public var digest: String

    public func sameSet(as o: ImageSetIdentity) -> Bool { (count, shape, digest) == (o.count, o.shape, o.digest) }
}

extension ImageSet {
    public var identity: ImageSetIdentity {
        var d = Data()
        for v in [width, height, channels, count] { withUnsafeBytes(of: Int64(v).littleEndian) { d.append(contentsOf: $0) } }
        d.append(contentsOf: pixels)
        d.append(contentsOf: labels)
        return ImageSetIdentity(source: source, count: count, shape: "\(channels)x\(height)x\(width)", digest: Checksum.sha256(d))
    }
}

/// What must be equal for shard results to be parts of one run. The design is its system file
/// (which names the model by digest; `DesignDir.open` has checked the model and the SRAM images
/// against it), so its digest stands for all three.
public struct RunIdentity: Codable, Hashable, Sendable {
    /// SHA-256 of the system file embedded in the result (`ShardResult.system`).
    public var systemDigest: String
    public var images: ImageSetIdentity
    public var load: String
    public var multicast: Bool
}

/// One image's results on one engine. The classes are not stored: they follow from the
/// potentials (`IntegerModel.argmax`).
public struct ImageResult: Codable, Equatable, Sendable {
    public var label: Int
    public var logits: [Int64]
    public var resetCycles: Int, computeCycles: Int, readoutCycles: Int
    public var inputEvents: Int
    public var spikesPerLayer: [Int]
    /// The integer model's output potentials when they differ from `logits` (nil when equal).
    public var integerLogits: [Int64]?

    public var inference: Inference {
        Inference(logits: logits, resetCycles: resetCycles, computeCycles: computeCycles, readoutCycles: readoutCycles, inputEvents: inputEvents,
                  spikesPerLayer: spikesPerLayer)
    }

    public var prediction: Int { IntegerModel.argmax(logits) }
    /// The integer model's class for this image.
    public var integerPrediction: Int { integerLogits.map(IntegerModel.argmax) ?? prediction }

    public init(_ i: Inference, label: Int, integerLogits: [Int64]) {
        self.label = label
        logits = i.logits
        resetCycles = i.resetCycles
        computeCycles = i.computeCycles
        readoutCycles = i.readoutCycles
        inputEvents = i.inputEvents
        spikesPerLayer = i.spikesPerLayer
        self.integerLogits = integerLogits == i.logits ? nil : integerLogits
    }
}

/// One engine's run over a shard's images.
public struct EngineShard: Codable, Equatable, Sendable {
    public var engine: String
    public var loadCycles: Int
    public var simulatedCycles: Int
    public var flitHops: Int
    public var seconds: Double, setupSeconds: Double
    /// The cycle model's event counts (nil on the Verilated RTL, which does not count them).
    public var counters: PECoreModel.Counters?
    /// The same counts per tile, row-major (nil on the Verilated RTL, and in results written
    /// before they were kept).
    public var tiles: [PECoreModel.Counters]?
    public var images: [ImageResult]
}

/// Everything `spikeforge merge` needs from one shard (`simulate --shard K/N --result FILE`): the
/// run's identity, the design's system file, the shard's image range and, per engine, every
/// image's results and the counters. Written as JSON (`write`), read back through the decoding
/// layer (`load`).
public struct ShardResult: Codable, Equatable, Sendable {
    public static let formatName = "spikeforge-shard-result", currentVersion = 2
    public var format = ShardResult.formatName
    public var formatVersion = ShardResult.currentVersion
    public var generator = "spikeforge \(SpikeForgeVersion.string)"
    public var identity: RunIdentity
    /// The design's `system.json`, so the merge needs no design directory.
    public var system: String
    public var shard: Int, shards: Int
    /// The images of this shard: `[first, end)` of `identity.images.count`.
    public var first: Int, end: Int
    public var runs: [EngineShard]

    public init(identity: RunIdentity, system: String, shard: ShardSpec, range: Range<Int>, runs: [EngineShard]) {
        self.identity = identity
        self.system = system
        self.shard = shard.index
        shards = shard.count
        first = range.lowerBound
        end = range.upperBound
        self.runs = runs
    }

    public func json() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(self) + Data("\n".utf8)
    }

    /// Writes the result staged and renamed (`AtomicOutput.write`).
    public func write(to url: URL) throws {
        try AtomicOutput.write(try json(), to: url)
    }

    static let exemplar: ShardResult = {
        let img = ImageResult(Inference(logits: [0], resetCycles: 0, computeCycles: 0, readoutCycles: 0, inputEvents: 0, spikesPerLayer: [0]), label: 0,
                              integerLogits: [1])
        let run = EngineShard(engine: "model", loadCycles: 0, simulatedCycles: 0, flitHops: 0, seconds: 0.5, setupSeconds: 0.5,
                              counters: PECoreModel.Counters(), tiles: [PECoreModel.Counters()], images: [img])
        let id = RunIdentity(systemDigest: "", images: ImageSetIdentity(source: "", count: 0, shape: "", digest: ""), load: "packets", multicast: true)
        return ShardResult(identity: id, system: "", shard: ShardSpec(index: 1, count: 1), range: 0 ..< 1, runs: [run])
    }()

    /// Reads and checks a result file: every structural problem at once (`JSONDocument`), then
    /// every inconsistency (version, range, per-image array lengths, labels, the embedded
    /// system file); returns the result and its design's plan.
    public static func load(_ url: URL) throws(ShardError) -> (ShardResult, SystemPlan) {
        let data: Data
        do { data = try FileRead.bounded(url, limit: JSONDocument.maxBytes) } catch { throw .file(path: url.path, problems: [error.reason]) }
        let r: ShardResult
        switch JSONDocument.decode(ShardResult.self, from: data, exemplar: exemplar, optional: ["counters", "tiles", "integerLogits"],
                                   choices: ["engine": SimulationEngine.allCases.map(\.rawValue), "load": LoadMethod.allCases.map(\.rawValue)]) {
        case let .failure(e):
            // A result of another format or version says so first: its shape is no help then.
            let head = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            throw .file(path: url.path, problems: headerProblems(format: head?["format"], version: head?["formatVersion"]) + e.problems)
        case let .success(v): r = v
        }
        var problems = headerProblems(format: r.format, version: r.formatVersion)
        if !problems.isEmpty { throw .file(path: url.path, problems: problems) }
        var plan: SystemPlan?
        do { plan = try SystemPlan.decode(Data(r.system.utf8), path: "system") } catch {
            if case let .file(_, p) = error { problems += p.map { "system: \($0)" } } else { problems.append("system: \(error)") }
        }
        if Checksum.sha256(Data(r.system.utf8)) != r.identity.systemDigest {
            problems.append("system: SHA-256 \(Checksum.sha256(Data(r.system.utf8)).prefix(12))…, expected identity.systemDigest \(r.identity.systemDigest.prefix(12))…")
        }
        problems += r.problems(plan: plan)
        guard problems.isEmpty, let plan else { throw .file(path: url.path, problems: Array(problems.prefix(50))) }
        return (r, plan)
    }

    /// Bounds that keep every sum of a merge (at most `ShardSpec.maxCount` shards per engine, at
    /// most `maxImages` images) within 64 bits: an image set's size, a count of one image, a
    /// count of one shard.
    public static let maxImages = Int(Int32.max), maxPerImage = 1 << 30, maxTotal = 1 << 44

    static func headerProblems(format: Any?, version: Any?) -> [String] {
        var p: [String] = []
        if let f = format as? String, f != formatName { p.append("format: got '\(f)', expected '\(formatName)' (a result of simulate --shard)") }
        if let v = version as? Int, v != currentVersion { p.append("formatVersion: got \(v), expected \(currentVersion) (written by another spikeforge version)") }
        return p
    }

    /// Inconsistencies a well-formed file may still have (`plan`: the embedded system, when it decoded).
    func problems(plan: SystemPlan?) -> [String] {
        var p: [String] = []
        let total = identity.images.count
        if total < 0 || total > Self.maxImages { p.append("identity.images.count: got \(total), expected 0...\(Self.maxImages)") }
        if shards < 1 || shards > ShardSpec.maxCount { p.append("shards: got \(shards), expected 1...\(ShardSpec.maxCount)") }
        if shard < 1 || shard > max(shards, 1) { p.append("shard: got \(shard), expected 1...\(shards)") }
        let rangeOK = first >= 0 && first <= end && end <= total
        if !rangeOK { p.append("first, end: got [\(first), \(end)), expected a range within [0, \(total))") }
        if runs.isEmpty { p.append("runs: got none, expected one per engine") }
        var seen: Set<String> = []
        for (k, r) in runs.enumerated() {
            let at = "runs[\(k)]"
            if !seen.insert(r.engine).inserted { p.append("\(at).engine: got '\(r.engine)' a second time, expected each engine once") }
            for (name, v) in [("loadCycles", r.loadCycles), ("simulatedCycles", r.simulatedCycles), ("flitHops", r.flitHops)] where v < 0 || v > Self.maxTotal {
                p.append("\(at).\(name): got \(v), expected 0...\(Self.maxTotal)")
            }
            for (name, v) in [("seconds", r.seconds), ("setupSeconds", r.setupSeconds)] where !(v >= 0 && v.isFinite) {
                p.append("\(at).\(name): got \(v), expected a finite time of at least 0")
            }
            if let c = r.counters { p += Self.counterProblems(c, at: "\(at).counters") }
            if let t = r.tiles {
                if let plan, t.count != plan.system.tiles {
                    p.append("\(at).tiles: got \(t.count) tiles' counters, expected \(plan.system.tiles) (the \(plan.system.cols)x\(plan.system.rows) mesh)")
                }
                if r.counters == nil { p.append("\(at).tiles: got per-tile counters without counters, expected both or neither") }
                let bad = t.enumerated().flatMap { k, c in Self.counterProblems(c, at: "\(at).tiles[\(k)]") }
                p += bad
                // Summed only when every count is in range and there is one per tile (no overflow).
                if bad.isEmpty, let plan, t.count == plan.system.tiles, let c = r.counters, Self.counterProblems(c, at: "").isEmpty,
                   t.reduce(PECoreModel.Counters(), +) != c {
                    p.append("\(at).tiles: got per-tile counts whose sum is not counters, expected them to add up")
                }
            }
            if rangeOK, r.images.count != end - first {
                p.append("\(at).images: got \(r.images.count) images, expected \(end - first) (images [\(first), \(end)))")
            }
            if let plan { p += Self.imageProblems(r.images, plan: plan, at: at) }
        }
        return p
    }

    static func counterProblems(_ c: PECoreModel.Counters, at: String) -> [String] {
        var p: [String] = []
        let n = PECoreModel.Counters().sramReads.count
        if c.sramReads.count != n || c.sramWrites.count != n {
            p.append("\(at): got \(c.sramReads.count) SRAM read and \(c.sramWrites.count) write counts, expected \(n) each")
        }
        if ([c.rowOps, c.synapticOps, c.spikesSent, c.busyCycles, c.cycles, c.stateZReads, c.stateZWrites] + c.sramReads + c.sramWrites).contains(where: { $0 < 0 || $0 > Self.maxTotal }) {
            p.append("\(at): got a count outside 0...\(Self.maxTotal), expected counts within it")
        }
        return p
    }

    static func imageProblems(_ images: [ImageResult], plan: SystemPlan, at: String) -> [String] {
        var p: [String] = []
        let outputs = plan.layers.last?.outputs ?? 0, layers = plan.layers.count
        for (k, i) in images.enumerated() where p.count < 50 {
            let here = "\(at).images[\(k)]"
            if i.logits.count != outputs { p.append("\(here).logits: got \(i.logits.count) values, expected \(outputs) (the output layer's neurons)") }
            if i.spikesPerLayer.count != layers { p.append("\(here).spikesPerLayer: got \(i.spikesPerLayer.count) values, expected \(layers) (one per layer)") }
            if let l = i.integerLogits, l.count != outputs { p.append("\(here).integerLogits: got \(l.count) values, expected \(outputs)") }
            if i.integerLogits == i.logits { p.append("\(here).integerLogits: equal to logits, expected it only where they differ") }
            if i.label < 0 || i.label >= max(outputs, 1) { p.append("\(here).label: got \(i.label), expected 0...\(outputs - 1)") }
            let counts = [i.resetCycles, i.computeCycles, i.readoutCycles, i.inputEvents] + i.spikesPerLayer
            if counts.contains(where: { $0 < 0 || $0 > maxPerImage }) { p.append("\(here): got a cycle or event count outside 0...\(maxPerImage), expected counts within it") }
        }
        return p
    }
}
