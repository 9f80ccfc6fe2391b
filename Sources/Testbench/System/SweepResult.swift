import Foundation
import SpikeForgeCore

/// A point of a sweep and what is wrong with it.
public struct SweepPointProblem: Equatable, Sendable, CustomStringConvertible {
    public var point: SweepPoint
    public var problems: [String]
    public init(point: SweepPoint, problems: [String]) {
        self.point = point
        self.problems = problems
    }

    /// The point and its first `shown` problems (a model that does not fit lists one per tile).
    public var description: String {
        let shown = 6
        let more = problems.count > shown ? ["(\(problems.count - shown) more)"] : []
        return "point \(point.index) (\(point)):\n" + (problems.prefix(shown) + more).map { "    \($0)" }.joined(separator: "\n")
    }
}

/// Why a sweep cannot run or be collected; every case lists all the problems found.
public enum SweepError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The flags: syntax, unknown fields, empty or repeated values, too many points.
    case invalidSweep(problems: [String])
    /// Points whose hardware is invalid or that the model does not fit (found before anything runs).
    case infeasiblePoints([SweepPointProblem])
    /// Points that ran and failed: output potentials that differ from the integer model, a stuck run.
    case pointsFailed([SweepPointProblem])
    /// Point files that are missing, unreadable or from another sweep.
    case collect(directory: String, problems: [String])

    /// The lines this error lists.
    public var problems: [String] {
        switch self {
        case let .invalidSweep(p), let .collect(_, p): return p
        case let .infeasiblePoints(p), let .pointsFailed(p): return p.map(\.description)
        }
    }

    public var description: String {
        func plural(_ n: Int, _ w: String) -> String { "\(n) \(w)\(n == 1 ? "" : "s")" }
        switch self {
        case let .invalidSweep(p): return "invalid sweep (\(plural(p.count, "problem"))):\n" + p.map { "  - \($0)" }.joined(separator: "\n")
        case let .infeasiblePoints(p):
            return "\(plural(p.count, "point")) of the sweep cannot be built (nothing was run):\n" + p.map { "  - \($0)" }.joined(separator: "\n")
        case let .pointsFailed(p): return "\(plural(p.count, "point")) of the sweep failed:\n" + p.map { "  - \($0)" }.joined(separator: "\n")
        case let .collect(dir, p):
            return "cannot collect the sweep in '\(dir)' (\(plural(p.count, "problem"))):\n" + p.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// What one point of a sweep measured: written as `points/point-K.json` by the run of point K,
/// read back by the collection. Deterministic: no times, so a point run alone gives the same
/// file as in a whole sweep.
public struct SweepPointResult: Codable, Hashable, Sendable {
    public var format = SweepPointResult.formatName
    /// 2 since the state SRAM's two banks changed how `energyNJ` is counted (docs/ENERGY.md).
    public var formatVersion = SweepPointResult.currentVersion
    public static let currentVersion = 2
    /// The spec's digest (`SweepSpec.digest`).
    public var sweep: String
    public var point: SweepPoint
    public var activeTiles: Int
    /// The PE the compiler resolved (it picks the widths the point leaves free; `cols` and `rows`
    /// are the mesh the point compiled to, the smallest one when the point names none).
    public var pe: PEConfig
    public var loadCycles: Int
    public var summary: SimulationRun.Summary

    public var cols: Int { pe.cols }
    public var rows: Int { pe.rows }
    /// Bits of every SRAM of every tile (`SystemConfig.sramBits`).
    public var sramBits: Int { cols * rows * pe.sramBits }

    public static let formatName = "spikeforge-sweep-point"

    public init(sweep: String, point: SweepPoint, activeTiles: Int, pe: PEConfig, loadCycles: Int, summary: SimulationRun.Summary) {
        (self.sweep, self.point, self.activeTiles, self.pe, self.loadCycles, self.summary) = (sweep, point, activeTiles, pe, loadCycles, summary)
    }

    /// The file of point `k` under the sweep directory.
    public static func file(_ k: Int, in dir: URL) -> URL { dir.appendingPathComponent("points/point-\(k).json") }

    public func json() throws -> Data { Data((try CanonicalJSON.encode(self, pretty: true) + "\n").utf8) }

    /// A point file read back and checked: the shape (every field, of the right kind), the
    /// sweep it belongs to (`digest`, the spec's), the point it says it is (`want`), the PE
    /// valid (so the sizes derived from it are bounded), and every measurement a count or finite
    /// and non-negative.
    public static func load(_ url: URL, point want: SweepPoint, digest: String) throws(SweepError) -> SweepPointResult {
        let fail = { (p: [String]) in SweepError.collect(directory: url.deletingLastPathComponent().path, problems: p.map { "\(url.lastPathComponent): \($0)" }) }
        let data: Data
        do { data = try FileRead.bounded(url, limit: 1 << 20) } catch { throw fail([error.reason]) }
        let r: SweepPointResult
        switch JSONDocument.decode(SweepPointResult.self, from: data, exemplar: exemplar, optional: Set(["mesh", "flitHops", "energyNJ"]).union(PEConfig.optionalFields)) {
        case let .success(v): r = v
        case let .failure(e): throw fail(e.problems)
        }
        var p: [String] = []
        if r.format != formatName || r.formatVersion != SweepPointResult.currentVersion {
            p.append("format: got \(r.format) version \(r.formatVersion), expected \(formatName) version \(SweepPointResult.currentVersion)")
        }
        if r.sweep != digest { p.append("sweep: got \(r.sweep), expected \(digest) (the point is from another sweep: other flags, model or images)") }
        if r.point != want { p.append("point: got \(r.point.index) (\(r.point)), expected \(want.index) (\(want))") }
        do { try r.pe.validate() } catch { p += error.violations.map { "pe: \($0)" } }
        let s = r.summary
        let counts = [("activeTiles", r.activeTiles), ("loadCycles", r.loadCycles), ("images", s.images), ("correct", s.correct), ("integerCorrect", s.integerCorrect),
                      ("inferenceP99", s.inferenceP99), ("totalP99", s.totalP99)]
        for (name, v) in counts where v < 0 { p.append("\(name): got \(v), expected at least 0") }
        if s.mismatches != 0 { p.append("mismatches: got \(s.mismatches), expected 0 (a failed point writes no file)") }
        if s.correct > s.images || s.integerCorrect > s.images { p.append("correct: got \(s.correct) and \(s.integerCorrect), expected at most images (\(s.images))") }
        let reals = [("inferenceMean", s.inferenceMean), ("totalMean", s.totalMean), ("resetMean", s.resetMean), ("readBackMean", s.readBackMean),
                     ("synapticOps", s.synapticOps), ("bound", s.bound), ("boundRatio", s.boundRatio), ("inputEvents", s.inputEvents),
                     ("flitHops", s.flitHops ?? 0), ("energyNJ", s.energyNJ ?? 0)] + s.spikesPerLayer.enumerated().map { ("spikesPerLayer[\($0.offset)]", $0.element) }
        for (name, v) in reals where !(v.isFinite && v >= 0) { p.append("\(name): got \(v), expected a finite number at least 0") }
        if !p.isEmpty { throw fail(p) }
        return r
    }

    /// A valid value with every optional field present: the shape `load` checks against.
    static let exemplar: SweepPointResult = {
        var s = SimulationRun.Summary()
        (s.flitHops, s.energyNJ, s.spikesPerLayer) = (0, 0, [0])
        return SweepPointResult(sweep: "", point: SweepPoint(index: 1, mesh: "1x1", policy: "", settings: [""]), activeTiles: 0, pe: PEConfig(),
                                loadCycles: 0, summary: s)
    }()
}
