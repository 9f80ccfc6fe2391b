import Compiler
import CycleModels
import Foundation
import SpikeForgeCore
import Trainer

/// Why shard results cannot be read or merged; every problem names its file.
public enum ShardError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A result file that is unreadable, corrupted, truncated or inconsistent in itself.
    case file(path: String, problems: [String])
    /// Results that are not the shards of one run: other designs, models, image sets, load
    /// methods, input modes or shard counts; overlapping, duplicate or missing images.
    case incompatible(problems: [String])

    public var description: String {
        func list(_ v: [String]) -> String { v.map { "  - \($0)" }.joined(separator: "\n") }
        func plural(_ n: Int) -> String { "\(n) problem\(n == 1 ? "" : "s")" }
        switch self {
        case let .file(path, problems): return "'\(path)' is not a usable shard result (\(plural(problems.count))):\n" + list(problems)
        case let .incompatible(problems): return "the shard results are not the parts of one run (\(plural(problems.count))):\n" + list(problems)
        }
    }
}

/// Shard results merged into one `SimulationRun` per engine: after checking that they are the
/// parts of one run (same identity and shard count) and that, per engine, their image ranges
/// cover the set exactly once. `simulate --jobs` and `spikeforge merge` both end here.
public struct ShardMerge: Sendable {
    public var identity: RunIdentity
    public var plan: SystemPlan
    /// One run per engine present, in `SimulationEngine` order: image order, counters summed,
    /// `seconds` summed over the shards (`timing` says so), `setupSeconds` the largest.
    public var runs: [SimulationRun]

    /// Reads every file (`ShardResult.load`: all of each file's problems, every bad file listed)
    /// and merges them.
    public static func load(_ urls: [URL]) throws(ShardError) -> ShardMerge {
        var parts: [(name: String, result: ShardResult, plan: SystemPlan)] = []
        var bad: [ShardError] = []
        for u in urls {
            do {
                let (r, p) = try ShardResult.load(u)
                parts.append((u.path, r, p))
            } catch { bad.append(error) }
        }
        if bad.count == 1 { throw bad[0] }
        if bad.count > 1 {
            throw .incompatible(problems: bad.flatMap { e -> [String] in
                if case let .file(path, problems) = e { return problems.prefix(10).map { "'\(path)': \($0)" } + (problems.count > 10 ? ["'\(path)': … and \(problems.count - 10) more"] : []) }
                return [e.description]
            })
        }
        return try merge(parts)
    }

    /// Checks and merges shard results (`name`: the file, for messages; `plan`: the system file
    /// each embeds, decoded): all must be the parts of one run.
    public static func merge(_ parts: [(name: String, result: ShardResult, plan: SystemPlan)]) throws(ShardError) -> ShardMerge {
        guard let (firstName, head, plan) = parts.first else {
            throw .incompatible(problems: ["no shard result given, expected at least one file"])
        }
        var p: [String] = []
        let want = head.identity
        for (name, r, rPlan) in parts.dropFirst() {
            let got = r.identity
            func differs(_ what: String, _ a: String, _ b: String) { p.append("\(name): \(what) \(a), expected \(b) (as in \(firstName))") }
            if got.systemDigest != want.systemDigest { differs("design (system file)", short(got.systemDigest), short(want.systemDigest)) }
            if rPlan.model.digest != plan.model.digest { differs("model", short(rPlan.model.digest), short(plan.model.digest)) }
            if !got.images.sameSet(as: want.images) {
                differs("image set", "\(got.images.source) (\(got.images.count) images, \(short(got.images.digest)))",
                        "\(want.images.source) (\(want.images.count) images, \(short(want.images.digest)))")
            }
            if got.load != want.load { differs("load method", got.load, want.load) }
            if got.multicast != want.multicast { differs("input spikes", got.multicast ? "multicast" : "unicast", want.multicast ? "multicast" : "unicast") }
            if r.shards != head.shards { differs("shard count", "\(r.shard)/\(r.shards)", "N = \(head.shards)") }
        }
        if !p.isEmpty { throw .incompatible(problems: p) }
        // Per engine, its shards in image order; all checked before any is merged.
        let byEngine = SimulationEngine.allCases.map { engine in
            (engine, parts.flatMap { part in part.result.runs.filter { $0.engine == engine.rawValue }.map { (name: part.name, result: part.result, run: $0) } }
                .sorted { ($0.result.first, $0.result.end, $0.name) < ($1.result.first, $1.result.end, $1.name) })
        }.filter { !$0.1.isEmpty }
        for (engine, mine) in byEngine { p += coverage(mine.map { (name: $0.name, result: $0.result) }, total: want.images.count, engine: engine) }
        if !p.isEmpty { throw .incompatible(problems: p) }
        let runs = byEngine.map { engine, mine in
            var r = merged(engine, mine.map { (first: $0.result.first, run: $0.run) }, plan: plan)
            r.timing = .summed(shards: mine.count)
            return r
        }
        return ShardMerge(identity: want, plan: plan, runs: runs)
    }

    static func short(_ digest: String) -> String { digest.count > 12 ? "\(digest.prefix(12))…" : "'\(digest)'" }

    /// Overlaps, duplicates and gaps of ranges sorted by start, each naming its files.
    static func coverage(_ parts: [(name: String, result: ShardResult)], total: Int, engine: SimulationEngine) -> [String] {
        var p: [String] = []
        var cursor = 0, last: (name: String, result: ShardResult)?
        var seen: [Int: String] = [:]
        func range(_ r: ShardResult) -> String { "images [\(r.first), \(r.end))" }
        for part in parts {
            let r = part.result
            if let other = seen.updateValue(part.name, forKey: r.shard), r.first == r.end {
                // Empty shards (more shards than images) overlap nothing; the same one twice is still a duplicate.
                p.append("\(part.name) and \(other): duplicate shards \(r.shard)/\(r.shards), both \(range(r)) on the \(engine.rawValue) engine")
            }
            if let last, r.first < cursor {
                if (last.result.first, last.result.end) == (r.first, r.end) {
                    p.append("\(part.name) and \(last.name): duplicate shards \(r.shard)/\(r.shards) and \(last.result.shard)/\(last.result.shards), both \(range(r)) on the \(engine.rawValue) engine")
                } else {
                    p.append("\(part.name) (\(range(r))) overlaps \(last.name) (\(range(last.result))) on the \(engine.rawValue) engine")
                }
            } else if r.first > cursor {
                p.append("images [\(cursor), \(r.first)) on the \(engine.rawValue) engine: missing, in none of the files (expected a shard holding them)")
            }
            cursor = max(cursor, r.end)
            last = part
        }
        if cursor < total { p.append("images [\(cursor), \(total)) on the \(engine.rawValue) engine: missing, in none of the files (expected a shard holding them)") }
        return p
    }

    /// The report's run from contiguous shards in image order (`seconds` summed; the caller
    /// says how they were measured, `timing`). `merge` and `SimulationRunner.run` both end here.
    static func merged(_ engine: SimulationEngine, _ shards: [(first: Int, run: EngineShard)], plan: SystemPlan) -> SimulationRun {
        var r = SimulationRun(engine: engine, plan: plan, loadCycles: shards.first?.run.loadCycles ?? 0)
        var events: PECoreModel.Counters? = PECoreModel.Counters()
        var tiles: [PECoreModel.Counters]? = shards.first?.run.tiles.map { $0.map { _ in PECoreModel.Counters() } }
        for (first, s) in shards {
            for (k, i) in s.images.enumerated() {
                if let want = i.integerLogits { r.mismatches.append("image \(first + k): output potentials \(i.logits), integer model \(want)") }
                if i.prediction == i.label { r.correct += 1 }
                if i.integerPrediction == i.label { r.integerCorrect += 1 }
                r.inferences.append(i.inference)
                r.labels.append(i.label)
            }
            r.simulatedCycles += s.simulatedCycles
            r.flitHops += s.flitHops
            r.seconds += s.seconds
            r.setupSeconds = max(r.setupSeconds, s.setupSeconds)
            if let e = events, let c = s.counters { events = e + c } else { events = nil }
            if let t = tiles, let c = s.tiles, c.count == t.count { tiles = zip(t, c).map { $0 + $1 } } else { tiles = nil }
        }
        r.events = events
        r.tileEvents = events == nil ? nil : tiles
        return r
    }
}
