import Compiler
import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Testing
import Trainer
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `Sweep`: the points of a spec, every problem listed before anything runs, the Pareto front,
/// and the same outputs whether the points run together, in parallel or one by one.
@Suite(.serialized) struct SweepTests {
    /// A 16-12-4 model and four 4 x 4 images.
    static let model = SystemDriverTests.model(seed: 3)
    static let images: ImageSet = {
        let inputs = SystemDriverTests.inputs(seed: 11, count: 4)
        return ImageSet(width: 4, height: 4, pixels: inputs.flatMap { $0.map { UInt8($0 << 4) } }, labels: [0, 1, 2, 3], source: "sweep-test")
    }()

    /// 2 lanes x 2 output FIFO depths x 3 meshes = 12 points, on tiles of 8 neurons (fc1 needs two).
    static let twelve = ["neurons=8", "weightRows=128", "lanes=2,4", "outFIFODepth=2,16"]

    static func spec(_ sets: [String], meshes: [String] = ["2x2,3x3", "3x2"], policies: [String] = []) throws(SweepError) -> SweepSpec {
        try SweepSpec.parse(sets: sets, meshes: meshes, policies: policies, engine: "model", load: "backdoor", model: model.digest, images: images.identity.digest)
    }

    static func scratch() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("sweep-test-\(UUID().uuidString)") }

    @Test func pointsAreTheProductInNestedLoopOrder() throws {
        let s = try Self.spec(Self.twelve, policies: ["fill,spread"])
        #expect(s.count == 24 && s.points.count == 24)
        #expect(s.points.map(\.index) == Array(1 ... 24))
        #expect(s.points[0].description == "neurons=8 weightRows=128 lanes=2 outFIFODepth=2 mesh=2x2 policy=fill")
        #expect(s.points[1].description == "neurons=8 weightRows=128 lanes=2 outFIFODepth=16 mesh=2x2 policy=fill")
        #expect(s.points[2].description == "neurons=8 weightRows=128 lanes=4 outFIFODepth=2 mesh=2x2 policy=fill")
        #expect(s.points[4].description == "neurons=8 weightRows=128 lanes=2 outFIFODepth=2 mesh=2x2 policy=spread")
        #expect(s.points[23].description == "neurons=8 weightRows=128 lanes=4 outFIFODepth=16 mesh=3x2 policy=spread")
        // The digest changes with anything that changes a result: another image set, say.
        var other = s
        other.images = "x"
        let again = try Self.spec(Self.twelve, policies: ["fill,spread"])
        #expect(other.digest != s.digest && again.digest == s.digest)
    }

    @Test func everyFlagProblemIsListedTogether() {
        let sets = ["outputFifoDepth=4", "lanes=2,,4", "lanes=8", "lanes", "weightRows=100,128,128", "cols=2", "inFIFODepth=", "accumulatedWeights=maybe"]
        #expect(throws: SweepError.self) { try Self.spec(sets, meshes: ["2x2,2by2,2x2", ""], policies: ["best,spread"]) }
        do {
            _ = try Self.spec(sets, meshes: ["2x2,2by2,2x2", ""], policies: ["best,spread"])
        } catch {
            let p = error.problems
            #expect(p.contains { $0.hasPrefix("--set outputFifoDepth: not a PE field (did you mean outFIFODepth?); known fields: neurons, lanes,") }, "\(p)")
            #expect(p.contains("--set lanes: got '2,,4', expected no empty value in the list"), "\(p)")
            #expect(p.contains("--set lanes: given more than once; list its values in one --set"), "\(p)")
            #expect(p.contains("--set lanes: expected FIELD=v1,v2,... (e.g. lanes=2,4,8)"), "\(p)")
            #expect(p.contains("--set weightRows: '128' is listed more than once"), "\(p)")
            #expect(p.contains { $0.hasPrefix("--set weightRows: got 100, expected a power of two") }, "\(p)")
            #expect(p.contains("--set cols: the mesh size comes from --mesh"), "\(p)")
            #expect(p.contains("--set inFIFODepth: got '', expected a comma-separated list of at least one value"), "\(p)")
            #expect(p.contains { $0.hasPrefix("--set accumulatedWeights: got maybe") }, "\(p)")
            #expect(p.contains("--mesh: got '2by2', expected COLSxROWS with each in 1...16 (e.g. 6x7)"), "\(p)")
            #expect(p.contains("--mesh: '2x2' is listed more than once"), "\(p)")
            #expect(p.contains("--mesh: got '', expected a comma-separated list of at least one value"), "\(p)")
            #expect(p.contains("--policy: got 'best', expected one of fill, spread"), "\(p)")
            #expect(p.count == 13, "\(p)")
        }
        #expect(throws: SweepError.invalidSweep(problems: ["the sweep has 2400 points, expected at most 1000: sweep fewer values"])) {
            try Self.spec(["lanes=1,2,4,8", "outFIFODepth=2,3,4,5,6,7,8,9,10,11", "inFIFODepth=2,3,4,5,6,7,8,9,10,11", "spikeFIFODepth=2,3"])
        }
    }

    /// Lanes that do not divide the neurons, and a mesh the model does not fit: every such point
    /// is listed with its values and its error, and nothing has run (no directory is made).
    @Test func infeasiblePointsAreAllListedBeforeAnythingRuns() throws {
        let s = try Self.spec(["neurons=8", "weightRows=128", "lanes=3,4"], meshes: ["1x1,2x2"])
        do {
            _ = try Sweep(spec: s, model: Self.model, images: Self.images, engine: .model, load: .backdoor)
            Issue.record("accepted")
        } catch {
            guard case let .infeasiblePoints(bad) = error else { Issue.record("\(error)"); return }
            #expect(bad.map(\.point.index) == [1, 2, 3], "\(bad)")
            #expect(bad[0].point.description == "neurons=8 weightRows=128 lanes=3 mesh=1x1 policy=spread")
            #expect(bad[0].problems.contains { $0.contains("lanes: got 3, expected a divisor of neurons (8)") }, "\(bad[0])")
            #expect(bad[1].problems.contains { $0.contains("does not fit the 1x1 system") }, "\(bad[1])")
            #expect(bad[2].problems.contains { $0.contains("lanes: got 3") }, "\(bad[2])")
        }
    }

    @Test func dominanceAndTheFrontOnHandMadePoints() {
        #expect(Pareto.dominates([1, 2, 3], [1, 2, 4]))
        #expect(!Pareto.dominates([1, 2, 3], [1, 2, 3]))
        #expect(!Pareto.dominates([1, 5, 3], [2, 2, 3]) && !Pareto.dominates([2, 2, 3], [1, 5, 3]))
        let pts: [[Double]] = [[100, 10, 5], [90, 20, 5], [100, 10, 5], [110, 10, 5], [80, 30, 9], [80, 30, 10], [200, 1, 50]]
        #expect(Pareto.front(pts) == [true, true, true, false, true, false, true])
        #expect(Pareto.front([]) == [])
    }

    /// A 12-point sweep over lanes x output FIFO depth x mesh: run at once, on two jobs, and point
    /// by point then collected, the point files, CSV and SVG are byte-identical; the CSV has a row
    /// per point with the front the dominance gives; the SVG is well-formed with every point; a
    /// missing point and a point of another sweep are both refused by the collection.
    @Test func aTwelvePointSweepIsTheSameHoweverItsPointsRun() throws {
        let s = try Self.spec(Self.twelve)
        #expect(s.count == 12)
        let sweep = try Sweep(spec: s, model: Self.model, images: Self.images, engine: .model, load: .backdoor)
        let (a, b, c) = (Self.scratch(), Self.scratch(), Self.scratch())
        defer { for d in [a, b, c] { try? FileManager.default.removeItem(at: d) } }
        try sweep.runAll(jobs: 1, to: a)
        try sweep.runAll(jobs: 2, to: b)
        for k in (1 ... 12).reversed() { try sweep.write(point: k, to: c) }
        let reports = try [a, b, c].map { SweepReport(spec: s, results: try Sweep.collect(s, from: $0)) }
        for k in 1 ... 12 {
            let files = try [a, b, c].map { try Data(contentsOf: SweepPointResult.file(k, in: $0)) }
            #expect(files[0] == files[1] && files[0] == files[2], "point \(k)")
        }
        #expect(reports[0].csv() == reports[1].csv() && reports[0].csv() == reports[2].csv())
        #expect(reports[0].svg() == reports[1].svg() && reports[0].svg() == reports[2].svg())

        let r = reports[0]
        let lines = r.csv().split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        #expect(lines[0] == ["point", "neurons", "weightRows", "lanes", "outFIFODepth"] + SweepReport.csvColumns)
        #expect(lines.count == 13 && lines.allSatisfy { $0.count == 5 + SweepReport.csvColumns.count })
        let column = { (name: String) in lines[0].firstIndex(of: name)! }
        let front = Pareto.front(r.results.map { [$0.summary.inferenceMean, Double($0.sramBits), $0.summary.energyNJ ?? -1] })
        #expect(front.contains(true) && front.contains(false))
        for (k, row) in lines.dropFirst().enumerated() {
            let p = s.points[k], res = r.results[k]
            #expect(row[0] == "\(k + 1)" && row[3] == String(p.settings[2].dropFirst(6)) && row[column("mesh")] == p.mesh)
            #expect(row[column("pareto")] == (front[k] ? "yes" : "no"))
            #expect(Int(row[column("sramBits")]) == res.pe.sramBits * res.cols * res.rows && res.sramBits > 0)
            #expect(row[column("images")] == "4" && Double(row[column("energyNJPerImage")]) ?? 0 > 0 && Double(row[column("cyclesMean")]) ?? 0 > 0)
            #expect(res.summary.mismatches == 0 && res.pe.lanes == Int(row[3]) && res.pe.outFIFODepth == Int(row[4]))
        }
        // More lanes cost SRAM bits (wider state words) on the same mesh.
        #expect(r.results[2].sramBits > r.results[0].sramBits)

        let svg = r.svg()
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        for k in 1 ... 12 { #expect(svg.components(separatedBy: "<title>point \(k): ").count == 3, "point \(k)") }
        #expect(svg.contains("stroke-dasharray") && svg.contains("SRAM bits") && svg.contains("energy per image"))

        // Collection refuses a missing point, a point of another sweep and a point file of
        // version 1 (energy counted before the state SRAM's banks), all at once.
        try FileManager.default.removeItem(at: SweepPointResult.file(3, in: c))
        var foreign = s
        foreign.images = "other images"
        let other = try Sweep(spec: foreign, model: Self.model, images: Self.images, engine: .model, load: .backdoor)
        try AtomicOutput.write(try other.run(point: 5).json(), to: SweepPointResult.file(5, in: c))
        var old = try sweep.run(point: 7)
        old.formatVersion = 1
        try AtomicOutput.write(try old.json(), to: SweepPointResult.file(7, in: c))
        #expect(throws: (any Error).self) { try Sweep.collect(s, from: c) }
        do { _ = try Sweep.collect(s, from: c) } catch {
            #expect(error.problems.count == 3, "\(error)")
            #expect(error.problems[0].hasPrefix("point-3.json: missing (point 3: neurons=8 weightRows=128 lanes=4 outFIFODepth=2 mesh=2x2"), "\(error)")
            #expect(error.problems[1].hasPrefix("point-5.json: sweep: got \(foreign.digest), expected \(s.digest)"), "\(error)")
            #expect(error.problems[2].hasPrefix("point-7.json: format: got spikeforge-sweep-point version 1, expected spikeforge-sweep-point version 2"), "\(error)")
        }
    }
}
