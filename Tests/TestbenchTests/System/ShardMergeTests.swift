import Compiler
import CycleModels
import Datasets
import Foundation
import SpikeForgeCore
import Testbench
import Testing
import Trainer

/// Shards and their merge on a 16-12-4 design (2 x 2 mesh, cycle model): a result file
/// round-trips; 4 shards merged, `--jobs 2` and the whole run give the same report, field for
/// field but the speed line; every set of results that is not one run, and every damaged file,
/// is refused naming its files and every problem.
@Suite(.serialized) struct ShardMergeTests {
    struct Fixture {
        let root: URL
        let design: DesignDir
        let set: ImageSet
        /// The whole run, and the four shards' results written to `files`.
        let whole: SimulationRun
        let shards: [ShardResult]
        let files: [URL]
    }

    static let fixture: Result<Fixture, Error> = Result {
        let root = try DesignDirValidationTests.design()
        cleanupPath = root.path
        atexit { if let p = ShardMergeTests.cleanupPath { try? FileManager.default.removeItem(atPath: p) } }
        let design = try DesignDir.open(root.appendingPathComponent("design"))
        var rng = SplitMix64(seed: 17)
        let set = ImageSet(width: 4, height: 4, pixels: (0 ..< 22 * 16).map { _ in rng.chance(0.4) ? 0 : UInt8(rng.next() % 256) },
                           labels: (0 ..< 22).map { _ in UInt8(rng.next() % 4) }, source: "test:seed=17")
        let runner = SimulationRunner(design: design, load: .packets)
        let whole = try runner.run(.model, on: set)
        let shards = try (1 ... 4).map { try runner.shard(ShardSpec(index: $0, count: 4), engines: [.model], on: set) }
        let files = try shards.map { s in
            let u = root.appendingPathComponent("shard-\(s.shard).json")
            try s.write(to: u)
            return u
        }
        return Fixture(root: root, design: design, set: set, whole: whole, shards: shards, files: files)
    }

    /// The fixture's directory, removed when the test process exits.
    nonisolated(unsafe) static var cleanupPath: String?

    static func f() throws -> Fixture { try fixture.get() }

    /// The report without its last line (the simulation speed).
    static func lines(_ r: SimulationRun) -> [String] { Array(r.report().dropLast()) }

    /// What `ShardMerge.load` finds wrong with `files` (empty when they merge).
    static func refusal(_ files: [URL]) -> [String] {
        let problems: [String]
        do { _ = try ShardMerge.load(files); problems = [] } catch { problems = Self.problems(error, path: "") }
        return problems
    }

    /// What `ShardResult.load` finds wrong with `u` (empty when it loads).
    static func loadProblems(_ u: URL) -> [String] {
        let problems: [String]
        do { _ = try ShardResult.load(u); problems = [] } catch { problems = Self.problems(error, path: u.path) }
        return problems
    }

    static func problems(_ e: ShardError, path: String) -> [String] {
        switch e {
        case let .file(p, list): return p == path ? list : list.map { "\(p): \($0)" }
        case let .incompatible(list): return list
        }
    }

    static func variant(_ name: String, of k: Int, _ change: (inout ShardResult) -> Void) throws -> URL {
        var r = try f().shards[k]
        change(&r)
        let u = try f().root.appendingPathComponent(name)
        try r.write(to: u)
        return u
    }

    @Test func aResultRoundTrips() throws {
        let f = try Self.f()
        for (s, u) in zip(f.shards, f.files) {
            let (back, plan) = try ShardResult.load(u)
            #expect(back == s)
            #expect(plan == f.design.plan)
        }
        #expect(f.shards.map { $0.end - $0.first } == [5, 6, 5, 6])
    }

    @Test func fourShardsMergeToTheWholeRun() throws {
        let f = try Self.f()
        let m = try ShardMerge.load(f.files.reversed())
        #expect(m.runs.count == 1)
        let r = try #require(m.runs.first)
        #expect(r.inferences == f.whole.inferences)
        #expect(r.labels == f.whole.labels)
        #expect(r.mismatches == f.whole.mismatches)
        #expect((r.correct, r.integerCorrect, r.loadCycles, r.flitHops) == (f.whole.correct, f.whole.integerCorrect, f.whole.loadCycles, f.whole.flitHops))
        #expect(r.events == f.whole.events)
        // Per-tile counts merge tile by tile, and the tiles add up to the whole.
        #expect(r.tileEvents == f.whole.tileEvents)
        #expect(f.whole.tileEvents?.count == f.design.plan.system.tiles)
        // Each tile counts its own cycles: every one saw the whole run.
        #expect(f.whole.tileEvents?.allSatisfy { $0.cycles == f.whole.simulatedCycles && $0.rowOps > 0 } == true)
        #expect(Set(f.whole.tileEvents?.map(\.rowOps) ?? []).count > 1, "tiles differ in their work")
        #expect(f.whole.report().contains { $0.hasPrefix("per-tile load per image (4 active tiles): busy cycles mean") }, "\(f.whole.report())")
        #expect(f.whole.tileTable()?.components(separatedBy: "\n").count == 2 + 4, "header, rule and one row per active tile")
        #expect(SimulationRun.p99(r.inferences.map(\.totalCycles)) == SimulationRun.p99(f.whole.inferences.map(\.totalCycles)))
        #expect(Self.lines(r) == Self.lines(f.whole))
        #expect(r.report().last?.contains("engine-seconds summed over 4 shards") == true)
        #expect(SimulationRun.resultsCSV([r]) == SimulationRun.resultsCSV([f.whole]))
    }

    @Test func twoJobsEqualOne() throws {
        let f = try Self.f()
        let two = try SimulationRunner(design: f.design, load: .packets, jobs: 2).run(.model, on: f.set)
        #expect(two.timing == .wallClock(jobs: 2) && two.inferences == f.whole.inferences && two.events == f.whole.events)
        #expect(two.tileEvents == f.whole.tileEvents)
        #expect(Self.lines(two) == Self.lines(f.whole))
        #expect(two.report().last?.contains("on 2 engines in parallel") == true)
    }

    @Test func otherRunsAreRefusedNamingTheFiles() throws {
        let f = try Self.f()
        let root = try DesignDirValidationTests.design()
        defer { try? FileManager.default.removeItem(at: root) }
        // Another design (another model): design, system and model differ.
        let model = SystemDriverTests.model(seed: 4)
        let otherModel = root.appendingPathComponent("model-4")
        try ModelFile.save(model, to: otherModel)
        _ = try DesignDir.export(modelDir: otherModel, options: CompileOptions(cols: 2, rows: 2, policy: .spread, pe: SystemDriverTests.small),
                                 out: root.appendingPathComponent("design-4"))
        let other = try SimulationRunner(design: DesignDir.open(root.appendingPathComponent("design-4")), load: .packets)
            .shard(ShardSpec(index: 2, count: 4), engines: [.model], on: f.set)
        let otherFile = root.appendingPathComponent("other.json")
        try other.write(to: otherFile)
        let p = Self.refusal([f.files[0], otherFile, f.files[2], f.files[3]])
        #expect(p.contains { $0.hasPrefix(otherFile.path + ": design ") && $0.contains("(as in \(f.files[0].path))") }, "\(p)")
        #expect(p.contains { $0.hasPrefix(otherFile.path + ": model ") }, "\(p)")

        let changes: [(String, (inout ShardResult) -> Void, String)] = [
            ("images.json", { $0.identity.images.digest = "0" }, ": image set test:seed=17 (22 images, '0')"),
            ("load.json", { $0.identity.load = "backdoor" }, ": load method backdoor, expected packets"),
            ("unicast.json", { $0.identity.multicast = false }, ": input spikes unicast, expected multicast"),
            ("n.json", { $0.shards = 5 }, ": shard count 2/5, expected N = 4"),
        ]
        for (name, change, message) in changes {
            let u = try Self.variant(name, of: 1, change)
            let p = Self.refusal([f.files[0], u, f.files[2], f.files[3]])
            #expect(p.contains { $0.hasPrefix(u.path + message) && $0.hasSuffix("(as in \(f.files[0].path))") }, "\(name): \(p)")
        }
    }

    @Test func overlapsGapsAndDuplicatesAreNamed() throws {
        let f = try Self.f()
        // Shards 1 and 2 of one engine, 3 and 4 of the other: each engine misses half the images.
        let v3 = try Self.variant("v3.json", of: 2) { $0.runs[0].engine = "verilator" }, v4 = try Self.variant("v4.json", of: 3) { $0.runs[0].engine = "verilator" }
        let mixed = Self.refusal([f.files[0], f.files[1], v3, v4])
        #expect(mixed.contains("images [11, 22) on the model engine: missing, in none of the files (expected a shard holding them)"), "\(mixed)")
        #expect(mixed.contains("images [0, 11) on the verilator engine: missing, in none of the files (expected a shard holding them)"), "\(mixed)")
        let gap = Self.refusal([f.files[0], f.files[1], f.files[3]])
        #expect(gap == ["images [11, 16) on the model engine: missing, in none of the files (expected a shard holding them)"], "\(gap)")
        let dup = Self.refusal(f.files + [f.files[2]])
        #expect(dup.count == 1 && dup[0].contains("duplicate shards 3/4 and 3/4, both images [11, 16)") && dup[0].contains(f.files[2].path), "\(dup)")
        // Shard 2 grown by shard 1's last image: [4, 11) overlaps [0, 5).
        let grown = try Self.variant("grown.json", of: 1) { r in
            r.first -= 1
            r.runs[0].images.insert(f.shards[0].runs[0].images[4], at: 0)
        }
        let overlap = Self.refusal([f.files[0], grown, f.files[2], f.files[3]])
        #expect(overlap == ["\(grown.path) (images [4, 11)) overlaps \(f.files[0].path) (images [0, 5)) on the model engine"], "\(overlap)")
    }

    @Test func damagedFilesAreRefusedWithEveryProblem() throws {
        let f = try Self.f()
        let good = try Data(contentsOf: f.files[1])
        func refused(_ name: String, _ data: Data) throws -> [String] {
            let u = f.root.appendingPathComponent(name)
            try data.write(to: u)
            return Self.loadProblems(u)
        }
        #expect(try refused("truncated.json", good.prefix(good.count / 2)).first?.hasPrefix("not valid JSON") == true)
        #expect(try refused("garbage.json", Data((0 ..< 300).map { UInt8(($0 * 37) % 256) })).first?.hasPrefix("not valid JSON") == true)
        #expect(try refused("empty.json", Data()).count == 1)
        // Version 1 (before the state SRAM's z bank was counted) is refused, with what it is.
        let v1 = try refused("v1.json", Data(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\"formatVersion\":2", with: "\"formatVersion\":1").utf8))
        #expect(v1 == ["formatVersion: got 1, expected 2 (written by another spikeforge version)"], "\(v1)")
        let other = try refused("other.json", Data(try f.design.plan.json().utf8))
        #expect(other.first?.hasPrefix("format: got 'spikeforge-system', expected 'spikeforge-shard-result'") == true, "\(other)")
        // Structure: a missing field, a wrong kind and an unknown field, all at once.
        var tree = try #require(try JSONSerialization.jsonObject(with: good) as? [String: Any])
        tree["first"] = nil
        tree["shards"] = "four"
        tree["extra"] = 1
        let shape = try refused("shape.json", try JSONSerialization.data(withJSONObject: tree))
        #expect(shape.count == 3 && shape.contains { $0.hasPrefix("first: missing") } && shape.contains { $0.hasPrefix("shards: got 'four'") }
            && shape.contains { $0.hasPrefix("extra: unknown field") }, "\(shape)")
        // Consistency: per-image lengths, labels, counts, the range and the system text.
        let bad = try Self.variant("inconsistent.json", of: 1) { r in
            r.runs[0].images[0].logits.removeLast()
            r.runs[0].images[1].spikesPerLayer += [3]
            r.runs[0].images[2].label = 9
            r.runs[0].images.removeLast()
            r.runs[0].counters?.sramReads.removeLast()
            r.runs[0].tiles?.removeLast()
            r.runs[0].tiles?[0].rowOps = -1
            r.end = 99
            r.system += " "
        }
        let p = Self.loadProblems(bad)
        do {
            for s in ["runs[0].images[0].logits: got 3 values, expected 4", "runs[0].images[1].spikesPerLayer: got 3 values, expected 2",
                      "runs[0].images[2].label: got 9, expected 0...3", "runs[0].counters: got 7 SRAM read and 8 write counts, expected 8 each",
                      "runs[0].tiles: got 3 tiles' counters, expected 4 (the 2x2 mesh)", "runs[0].tiles[0]: got a count outside",
                      "first, end: got [5, 99), expected a range within [0, 22)", "system: SHA-256"] {
                #expect(p.contains { $0.hasPrefix(s) }, "\(s) in \(p)")
            }
        }
        // Per-tile counts that do not add up to the counters.
        let unsummed = Self.loadProblems(try Self.variant("unsummed.json", of: 1) { r in r.runs[0].tiles?[2].rowOps += 1 })
        #expect(unsummed == ["runs[0].tiles: got per-tile counts whose sum is not counters, expected them to add up"], "\(unsummed)")
        // Extreme numbers are refused, never computed with (no overflow trap).
        let extreme = Self.loadProblems(try Self.variant("extreme.json", of: 1) { r in
            (r.first, r.end, r.runs[0].flitHops, r.runs[0].images[0].computeCycles) = (Int.min, Int.max, Int.max, Int.max)
        })
        for s in ["first, end: got [\(Int.min), \(Int.max))", "runs[0].flitHops: got \(Int.max), expected 0...\(1 << 44)",
                  "runs[0].images[0]: got a cycle or event count outside 0...\(1 << 30)"] {
            #expect(extreme.contains { $0.hasPrefix(s) }, "\(s) in \(extreme)")
        }
        // Two bad files: both named, with their problems.
        let both = Self.refusal([f.files[0], f.root.appendingPathComponent("truncated.json"), f.root.appendingPathComponent("v1.json")])
        #expect(both.contains { $0.hasPrefix("'\(f.root.appendingPathComponent("truncated.json").path)': not valid JSON") }, "\(both)")
        #expect(both.contains { $0.hasPrefix("'\(f.root.appendingPathComponent("v1.json").path)': formatVersion: got 1") }, "\(both)")
        #expect(Self.refusal([f.root.appendingPathComponent("missing.json")]) == ["\(f.root.appendingPathComponent("missing.json").path): missing"])
    }

    @Test func shardSpecsParse() throws {
        #expect(try ShardSpec.parse("3/4").get() == ShardSpec(index: 3, count: 4))
        for (text, problem) in [("0/4", "K = 0, expected 1...4"), ("5/4", "K = 5, expected 1...4"), ("a/b", "expected K/N"), ("1/0", "N = 0, expected 1...100000"),
                                ("1/2/3", "expected K/N"), ("", "expected K/N")] {
            guard case let .failure(e) = ShardSpec.parse(text) else { Issue.record("\(text) accepted"); continue }
            #expect(e.text.contains(problem), "\(text): \(e.text)")
        }
        // The split of `--jobs` and `--shard`: contiguous, in order, every image once.
        for total in [0, 1, 7, 22] {
            for n in 1 ... 9 {
                let ranges = (1 ... n).map { ShardSpec(index: $0, count: n).range(total: total) }
                #expect(ranges.first?.lowerBound == 0 && ranges.last?.upperBound == total && zip(ranges, ranges.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
            }
        }
    }
}
