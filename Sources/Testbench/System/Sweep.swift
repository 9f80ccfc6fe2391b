import Compiler
import Datasets
import Foundation
import SpikeForgeCore
import Trainer

/// A design-space sweep (`spikeforge sweep`, docs/SYSTEM.md): every point of a `SweepSpec`
/// compiled onto its system before anything runs, then run point by point, each point's
/// results written to `points/point-K.json` under the sweep's directory, and collected from
/// those files into `SweepReport`. A point runs alone just as in a whole sweep (a Slurm array
/// task runs one), so the collected output does not depend on how the points were run.
public struct Sweep: Sendable {
    public var spec: SweepSpec
    public var model: IntegerModel
    public var images: ImageSet
    public var engine: SimulationEngine
    public var load: LoadMethod
    /// Cycles a phase may take before a point's run is declared stuck.
    public var timeout: Int
    /// The spec's points and digest, computed once.
    public let points: [SweepPoint], digest: String
    /// The plan of every point compiled, by point number.
    public let plans: [Int: SystemPlan]

    /// Compiles the points `only` names (1-based; all by default) the way `spikeforge export`
    /// does (the PE's own and cross-field rules, the fit of the model on the point's mesh, range
    /// analysis), or lists every point that cannot be built with its problems; nothing has run then.
    public init(spec: SweepSpec, model: IntegerModel, images: ImageSet, engine: SimulationEngine, load: LoadMethod, timeout: Int = 5_000_000,
                only: [Int]? = nil) throws(SweepError) {
        self.spec = spec
        self.model = model
        self.images = images
        self.engine = engine
        self.load = load
        self.timeout = timeout
        points = spec.points
        digest = spec.digest
        var plans: [Int: SystemPlan] = [:], bad: [SweepPointProblem] = []
        for k in only ?? Array(1 ... points.count) where points.indices.contains(k - 1) {
            let p = points[k - 1]
            do {
                plans[k] = try Compiler.compile(model, try p.options())
            } catch let e as FlagProblems {
                bad.append(SweepPointProblem(point: p, problems: e.problems))
            } catch {
                bad.append(SweepPointProblem(point: p, problems: "\(error)".split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }))
            }
        }
        if !bad.isEmpty { throw .infeasiblePoints(bad) }
        self.plans = plans
    }

    /// Runs point `k` (1-based) on one engine, single-threaded, and checks every image against
    /// the integer model: a difference fails the point.
    public func run(point k: Int) throws(SweepError) -> SweepPointResult {
        let point = points[k - 1]
        let fail = { (p: [String]) in SweepError.pointsFailed([SweepPointProblem(point: point, problems: p)]) }
        guard let plan = plans[k] else { throw fail(["not compiled by this sweep (it was made for other points)"]) }
        let systemImages = SystemImages(plan: plan, model: model)
        // The Verilated system's backdoor reads `$readmemh` files: a scratch copy of the images.
        var scratch: URL?
        defer { if let scratch { try? FileManager.default.removeItem(at: scratch) } }
        let run: SimulationRun
        do {
            if engine == .verilator && load == .backdoor {
                let dir = FileManager.default.temporaryDirectory.appendingPathComponent("spikeforge-sweep-\(getpid())-\(k)-\(UUID().uuidString)")
                scratch = dir
                try systemImages.write(to: dir.appendingPathComponent("images"), model: plan.model)
            }
            let design = DesignDir(url: scratch ?? URL(fileURLWithPath: "/nonexistent"), plan: plan, model: model, images: systemImages)
            run = try SimulationRunner(design: design, load: load, timeout: timeout, jobs: 1).run(engine, on: images)
        } catch {
            throw fail("\(error)".split(separator: "\n").map(String.init))
        }
        if !run.mismatches.isEmpty {
            throw fail(["\(run.mismatches.count) of \(run.count) image(s) differ from the trainer's integer model"] + run.mismatches.prefix(5))
        }
        return SweepPointResult(sweep: digest, point: point, activeTiles: plan.activeTiles, pe: plan.system.pe, loadCycles: run.loadCycles, summary: run.summary)
    }

    /// Runs point `k` and writes its file (atomically) under `dir`; a failed point removes the
    /// file an earlier run left, so that it cannot be collected.
    @discardableResult
    public func write(point k: Int, to dir: URL) throws -> SweepPointResult {
        let url = SweepPointResult.file(k, in: dir)
        do {
            let r = try run(point: k)
            try AtomicOutput.write(try r.json(), to: url)
            return r
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
    }

    /// Runs every point, `jobs` at a time (each single-threaded), writing each point's file under
    /// `dir`; `log` gets a line per point as it finishes. Every point runs even when some fail;
    /// then the failures are thrown together.
    public func runAll(jobs: Int, to dir: URL, log: @escaping @Sendable (String) -> Void = { _ in }) throws {
        let n = points.count
        let next = Box(0), failed = Box<[SweepPointProblem]>([]), other = Box<[String]>([])
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, n))) { _ in
            while true {
                next.lock.lock()
                next.value += 1
                let k = next.value
                next.lock.unlock()
                if k > n { return }
                let start = Date()
                do {
                    let r = try write(point: k, to: dir)
                    log(String(format: "point %d/%d (%@): %.1f cycles per image, %.1f s", k, n, points[k - 1].description, r.summary.inferenceMean,
                               Date().timeIntervalSince(start)))
                } catch let SweepError.pointsFailed(p) {
                    failed.lock.lock()
                    failed.value += p
                    failed.lock.unlock()
                    log("point \(k)/\(n) (\(points[k - 1])): FAILED")
                } catch {
                    other.lock.lock()
                    other.value.append("point \(k): \(error)")
                    other.lock.unlock()
                }
            }
        }
        if !other.value.isEmpty { throw SweepError.collect(directory: dir.path, problems: other.value.sorted()) }
        if !failed.value.isEmpty { throw SweepError.pointsFailed(failed.value.sorted { $0.point.index < $1.point.index }) }
    }

    /// Every point's file of `spec` under `dir`, read and checked, or every point that is
    /// missing or does not belong (files of other sweeps, other points, damaged).
    public static func collect(_ spec: SweepSpec, from dir: URL) throws(SweepError) -> [SweepPointResult] {
        var results: [SweepPointResult] = [], problems: [String] = []
        let points = spec.points, digest = spec.digest
        for (i, point) in points.enumerated() {
            let k = i + 1, url = SweepPointResult.file(k, in: dir)
            guard FileManager.default.fileExists(atPath: url.path) else {
                problems.append("\(url.lastPathComponent): missing (point \(k): \(point); run it with --point \(k))")
                continue
            }
            do { results.append(try SweepPointResult.load(url, point: point, digest: digest)) } catch {
                if case let .collect(_, p) = error { problems += p } else { problems.append("\(error)") }
            }
        }
        if !problems.isEmpty { throw .collect(directory: dir.appendingPathComponent("points").path, problems: problems) }
        return results
    }
}
