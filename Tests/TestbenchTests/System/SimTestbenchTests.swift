import Testbench
import VerilatorBridge
import Compiler
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing
import Trainer

/// The standalone C++ testbench (`sim/system_tb.cpp`, built by `sim/Makefile` with the real
/// Verilator) hosts a small compiled system exactly as the Swift host does: from the exported
/// `.bin` images, `host.txt` and an events file it prints, per image, the output potentials and
/// the cycles of every phase, which must equal `SystemDriver` on the Verilated system (and the
/// potentials the integer model's).
@Suite struct SimTestbenchTests {
    /// The repository root (this file is Tests/<target>/SimTestbenchTests.swift).
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// One image's line of the testbench's output, parsed.
    struct Line: Equatable, CustomStringConvertible {
        var reset = 0, compute = 0, readout = 0, events = 0
        var spikes: [Int] = [], logits: [Int64] = []
        var check = ""
        var description: String { "reset \(reset) compute \(compute) readout \(readout) events \(events) spikes \(spikes) logits \(logits) expect \(check)" }

        init?(_ s: Substring) {
            let t = s.split(separator: " ").map(String.init)
            guard t.first == "image" else { return nil }
            var kv: [String: String] = [:]
            for k in stride(from: 0, to: t.count - 1, by: 2) { kv[t[k]] = t[k + 1] }
            func list(_ k: String) -> [String] { kv[k] == "-" ? [] : (kv[k] ?? "").split(separator: ",").map(String.init) }
            reset = Int(kv["reset"] ?? "") ?? -1
            compute = Int(kv["compute"] ?? "") ?? -1
            readout = Int(kv["readout"] ?? "") ?? -1
            events = Int(kv["events"] ?? "") ?? -1
            spikes = list("spikes").map { Int($0) ?? -1 }
            logits = list("logits").map { Int64($0) ?? .min }
            check = kv["expect"] ?? ""
        }

        init(_ i: Inference) {
            reset = i.resetCycles
            compute = i.computeCycles
            readout = i.readoutCycles
            events = i.inputEvents
            spikes = i.spikesPerLayer
            logits = i.logits
            check = "ok"
        }
    }

    /// FNV-1a over the inputs of the build: the key of the cached testbench binary.
    static func key(_ parts: [Data]) -> String {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for p in parts {
            for b in p { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
            h = (h ^ 0xFF) &* 0x100_0000_01B3
        }
        return String(h, radix: 16)
    }

    /// Runs a program; returns its exit status and combined output.
    static func run(_ exe: String, _ args: [String], in dir: URL? = nil) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        if let dir { p.currentDirectoryURL = dir }
        let log = TestSupport.tempDir("sf-simtb-log").appendingPathComponent("out.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log.deletingLastPathComponent()) }
        let h = try FileHandle(forWritingTo: log)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try h.close()
        return (p.terminationStatus, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    /// Builds the testbench for the design in `design` with `sim/Makefile` (the documented
    /// recipe; unoptimized, which builds in half the time), cached by the RTL, the testbench
    /// source and the Makefile.
    static func buildTestbench(design: URL, host: URL) throws -> URL {
        let verilator = try TestSupport.builder.get().verilator
        let rtl = design.appendingPathComponent("rtl")
        let files = try FileManager.default.contentsOfDirectory(atPath: rtl.path).filter { $0.hasSuffix(".v") || $0 == "files.f" }.sorted()
        var parts = [Data(try verilator.version().utf8)]
        for f in files { parts += [Data(f.utf8), try Data(contentsOf: rtl.appendingPathComponent(f))] }
        for f in ["system_tb.cpp", "Makefile"] { parts.append(try Data(contentsOf: repo.appendingPathComponent("sim").appendingPathComponent(f))) }
        let cache = VerilatorBuild.defaultRoot().appendingPathComponent("sim-tb")
        let exe = cache.appendingPathComponent(key(parts)).appendingPathComponent("system_tb")
        if FileManager.default.isExecutableFile(atPath: exe.path) { return exe }
        let stage = cache.appendingPathComponent(".tmp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: stage) }
        let (status, out) = try run("/usr/bin/env", ["make", "-f", repo.appendingPathComponent("sim/Makefile").path, "DESIGN=\(design.path)",
                                                     "HOST=\(host.path)", "OUT=\(stage.path)", "VERILATOR=\(verilator.path)",
                                                     "OPTIMIZE=OPT_FAST=-O0 OPT_SLOW=-O0 OPT_GLOBAL=-O0"])
        guard status == 0 else { throw TestbenchError.build(out) }
        try FileManager.default.createDirectory(at: exe.deletingLastPathComponent(), withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: exe)
        try FileManager.default.moveItem(at: stage.appendingPathComponent("system_tb"), to: exe)
        return exe
    }

    enum TestbenchError: Error { case build(String) }

    /// Packets formed from `host.txt`'s fields, as the testbench forms them, equal `PEPacket`'s,
    /// and its response fields decode what `PEPacket.response` decodes (64- and 48-bit flits).
    @Test(arguments: [64, 48]) func hostFieldsRebuildEveryPacket(_ flitWidth: Int) {
        var c = SystemDriverTests.small
        c.flitWidth = flitWidth
        let fields = Dictionary(uniqueKeysWithValues: HostProgram.packetFields(c).map { ("\($0.packet).\($0.name)", $0) })
        func put(_ f: UInt64, _ k: String, _ v: Int) -> UInt64 { f | (UInt64(v) & Bits.mask(fields[k]!.width)) << UInt64(fields[k]!.lo) }
        func get(_ f: UInt64, _ k: String) -> Int { Int(f >> UInt64(fields[k]!.lo) & Bits.mask(fields[k]!.width)) }
        func header(_ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int, _ t: FlitType) -> UInt64 {
            put(put(put(put(put(0, "header.x0", x0), "header.x1", x1), "header.y0", y0), "header.y1", y1), "header.type", t.rawValue)
        }
        var rng = SplitMix64(seed: 0x5EED)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for _ in 0 ..< 500 {
            let (x0, x1, y0, y1, axon, m) = (r(16), r(16), r(16), r(16), r(65536), r(16))
            #expect(put(put(put(header(x0, x1, y0, y1, .spike), "spike.axon", axon), "spike.negative", 0), "spike.multiplicity", m)
                == PEPacket.spike(x0: x0, x1: x1, y0: y0, y1: y1, axon: axon, negative: false, multiplicity: m))
            let (mem, addr, data) = (r(16), r(65536), rng.next() & Bits.mask(c.partBits))
            #expect(put(put(put(header(x0, x0, y0, y0, .configWrite), "config.memory", mem), "config.address", addr), "config.data", Int(data))
                == PEPacket.configWrite(c, x: x0, y: y0, memory: mem, address: addr, data: data))
            let tag = r(256)
            #expect(put(put(put(header(x1, x1, y1, y1, .readRequest), "read.memory", mem), "read.address", addr), "read.tag", tag)
                == PEPacket.readRequest(x: x1, y: y1, memory: mem, address: addr, tag: tag))
            let (op, layer) = (r(16), r(256))
            #expect(put(put(header(x0, x1, y0, y1, .control), "control.opcode", op), "control.layer", layer)
                == PEPacket.control(x0: x0, x1: x1, y0: y0, y1: y1, opcode: op, layer: layer))
            let resp = Flit(x0: 0, x1: 0, y0: 0, y1: 0, host: true, type: .readResponse).encode(width: 64)[0] | rng.next() << UInt64(PacketLayout.Header.bits)
            let want = PEPacket.response(resp)!
            #expect(get(resp, "response.memory") == want.memory && get(resp, "response.tag") == want.tag
                && UInt64(get(resp, "response.data")) == want.data & Bits.mask(c.partBits))
        }
    }

    /// 16-12-4 with ReLU (so the host flushes the hidden layer) spread over 2 x 2 (so the output
    /// potentials are sums of partial sums on several tiles).
    @Test func matchesTheSwiftHostOnTheVerilatedSystem() throws {
        let seed = Lockstep.seed(default: 0x51B7)
        let m = SystemDriverTests.model(seed: seed, mode: .relu)
        let plan = try SystemDriverTests.compile(m, .spread)
        #expect(plan.layers.contains { $0.flush } && plan.tiles.filter { $0.slices.contains { $0.layer == plan.outputLayer } }.count > 1)
        let images = SystemImages(plan: plan, model: m)
        let inputs = SystemDriverTests.inputs(seed: seed, count: 5)
        let engine = IntegerEngine(m)

        // The Swift host on the Verilated system, loaded by packets.
        let design = try SystemGenerator.design(plan.system)
        var drv = SystemDriver(try TestSupport.build(design), plan: plan)
        drv.powerOnReset()
        let loadCycles = try drv.load(images)
        let want = try SystemDriverTests.run(&drv, m, inputs, seed: seed)

        // The exported design, host.txt and events.txt; the testbench built and run.
        let dir = TestSupport.tempDir("sf-simtb")
        defer { try? FileManager.default.removeItem(at: dir) }
        try images.write(to: dir.appendingPathComponent("images"), model: plan.model)
        let rtl = dir.appendingPathComponent("rtl")
        try FileManager.default.createDirectory(at: rtl, withIntermediateDirectories: true)
        _ = try TestSupport.emit(design, to: rtl)
        let host = dir.appendingPathComponent("host")
        let list = inputs.map { levels in
            let t = engine.trace(levels: levels)
            return HostProgram.Image(label: t.prediction, levels: levels, expected: t.logits)
        }
        try HostProgram.write(plan: plan, images: list, to: host)
        let exe = try Self.buildTestbench(design: dir, host: host)
        let (status, out) = try Self.run(exe.path, ["--host", host.appendingPathComponent("host.txt").path, "--images",
                                                    dir.appendingPathComponent("images").path, "--events", host.appendingPathComponent("events.txt").path])
        #expect(status == 0, "testbench exit status \(status) (seed \(seed)):\n\(out)")

        let lines = out.split(separator: "\n")
        #expect(lines.contains("load_cycles \(loadCycles)"), "load cycles: Swift \(loadCycles) (seed \(seed)):\n\(out)")
        let got = lines.compactMap(Line.init)
        #expect(got.count == inputs.count, "\(got.count) image lines for \(inputs.count) images (seed \(seed)):\n\(out)")
        for (k, (g, w)) in zip(got, want).enumerated() {
            #expect(g == Line(w), "image \(k) (seed \(seed)): testbench \(g), Swift host \(Line(w))")
        }
        #expect(lines.contains { $0.hasPrefix("summary images \(inputs.count) ") && $0.contains(" mismatches 0 ") }, "\(out)")

        // A wrong `expect` line is reported, with exit status 1.
        let events = try String(contentsOf: host.appendingPathComponent("events.txt"), encoding: .utf8)
        let wrong = events.replacingOccurrences(of: "expect \(list[0].expected![0]) ", with: "expect \(list[0].expected![0] + 1) ")
        #expect(wrong != events)
        try wrong.write(to: dir.appendingPathComponent("wrong.txt"), atomically: true, encoding: .utf8)
        let (s1, out1) = try Self.run(exe.path, ["--host", host.appendingPathComponent("host.txt").path, "--images", dir.appendingPathComponent("images").path,
                                                 "--events", dir.appendingPathComponent("wrong.txt").path, "--limit", "1"])
        #expect(s1 == 1 && out1.contains("expect MISMATCH") && out1.contains(" mismatches 1 "), "a wrong expectation must fail (seed \(seed)):\n\(out1)")

        // Input spikes as one unicast per first-layer tile (`--unicast`, `SystemDriver.multicast = false`).
        var uni = SystemDriver(try TestSupport.build(design), plan: plan)
        uni.multicast = false
        uni.powerOnReset()
        try uni.load(images)
        let wantUni = try SystemDriverTests.run(&uni, m, inputs, seed: seed)
        let (s2, out2) = try Self.run(exe.path, ["--host", host.appendingPathComponent("host.txt").path, "--images", dir.appendingPathComponent("images").path,
                                                 "--events", host.appendingPathComponent("events.txt").path, "--unicast"])
        #expect(s2 == 0, "testbench --unicast exit status \(s2) (seed \(seed)):\n\(out2)")
        let gotUni = out2.split(separator: "\n").compactMap(Line.init)
        #expect(gotUni.count == inputs.count && gotUni.map(\.compute) != got.map(\.compute), "unicast must change the timing (seed \(seed))")
        for (k, (g, w)) in zip(gotUni, wantUni).enumerated() {
            #expect(g == Line(w), "image \(k), --unicast (seed \(seed)): testbench \(g), Swift host \(Line(w))")
        }

        // The host's output stalled at random (`--stall`, `SystemDriver.hostStall`, the same stream).
        var stalled = SystemDriver(try TestSupport.build(design), plan: plan)
        stalled.hostStall = RandomStall(probability: 0.3, seed: seed)
        stalled.powerOnReset()
        let stalledLoad = try stalled.load(images)
        let wantStalled = try SystemDriverTests.run(&stalled, m, inputs, seed: seed)
        let (s3, out3) = try Self.run(exe.path, ["--host", host.appendingPathComponent("host.txt").path, "--images", dir.appendingPathComponent("images").path,
                                                 "--events", host.appendingPathComponent("events.txt").path, "--stall", "0.3", "--stall-seed", "\(seed)"])
        #expect(s3 == 0 && out3.contains("load_cycles \(stalledLoad)"), "testbench --stall exit status \(s3), Swift load cycles \(stalledLoad) (seed \(seed)):\n\(out3)")
        let gotStalled = out3.split(separator: "\n").compactMap(Line.init)
        #expect(gotStalled.count == inputs.count && gotStalled.map(\.readout) != got.map(\.readout), "host stalls must change the read-back timing (seed \(seed))")
        for (k, (g, w)) in zip(gotStalled, wantStalled).enumerated() {
            #expect(g == Line(w), "image \(k), --stall 0.3 (seed \(seed)): testbench \(g), Swift host \(Line(w))")
        }

        // A read window of 3 (`max_in_flight 3`, `SystemDriver.readsInFlight`), fewer than the
        // reads, so tags are reused as responses free them: the same cycles on both hosts.
        var narrow = SystemDriver(try TestSupport.build(design), plan: plan)
        narrow.readsInFlight = 3
        #expect(HostProgram.logitReads(plan).reads.count > 2 * narrow.readsInFlight)
        narrow.powerOnReset()
        try narrow.load(images)
        let wantNarrow = try SystemDriverTests.run(&narrow, m, inputs, seed: seed)
        let hostNarrow = dir.appendingPathComponent("host-narrow")
        try HostProgram.write(plan: plan, images: list, readsInFlight: 3, to: hostNarrow)
        let (s4, out4) = try Self.run(exe.path, ["--host", hostNarrow.appendingPathComponent("host.txt").path, "--images", dir.appendingPathComponent("images").path,
                                                 "--events", hostNarrow.appendingPathComponent("events.txt").path])
        #expect(s4 == 0, "testbench with max_in_flight 3: exit status \(s4) (seed \(seed)):\n\(out4)")
        let gotNarrow = out4.split(separator: "\n").compactMap(Line.init)
        #expect(gotNarrow.count == inputs.count && gotNarrow.map(\.readout) != got.map(\.readout), "a narrow window must change the read-back timing (seed \(seed))")
        for (k, (g, w)) in zip(gotNarrow, wantNarrow).enumerated() {
            #expect(g == Line(w), "image \(k), max_in_flight 3 (seed \(seed)): testbench \(g), Swift host \(Line(w))")
        }
    }
}
