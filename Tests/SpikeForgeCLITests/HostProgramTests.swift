import Foundation
import SpikeForgeCLI
import Testbench
import Testing

/// `spikeforge host-program`: host.txt and events.txt for the C++ testbench in sim/.
@Suite(.serialized) struct HostProgramTests {
    static let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-host-program-\(UUID().uuidString)")

    @Test func writesHostProgramAndEvents() throws {
        let model = Self.root.appendingPathComponent("model"), design = Self.root.appendingPathComponent("design")
        defer { try? FileManager.default.removeItem(at: Self.root) }
        #expect(runCLI(["train", "--generated-train", "200", "--generated-test", "20", "--arch", "784-8-10", "--epochs", "1", "--quiet", "--out", model.path]) == nil)
        #expect(runCLI(["export", "--model", model.path, "--mesh", "2x2", "--out", design.path]) == nil)
        let out = Self.root.appendingPathComponent("host")
        #expect(runCLI(["host-program", "--design", design.path, "--generated-test", "7", "--out", out.path]) == nil)
        let host = try String(contentsOf: out.appendingPathComponent("host.txt"), encoding: .utf8)
        let events = try String(contentsOf: out.appendingPathComponent("events.txt"), encoding: .utf8)
        let keys = Set(host.split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: " ").first.map(String.init) })
        for k in ["format", "top", "mesh", "flit_width", "part_bits", "field", "type", "opcode", "memory", "load", "input_rect", "input_tile", "output", "spike_counter"] {
            #expect(keys.contains(k), "host.txt has no '\(k)' line")
        }
        // Every SRAM but the state and the accumulated weights, on every tile: 4 tiles x 5.
        #expect(host.split(separator: "\n").filter { $0.hasPrefix("load ") }.count == 20)
        #expect(!host.contains("_state.bin") && !host.contains("_acc.bin"))
        // The state word packs every lane's V first: in each group the potentials lie at 0, w, 2w, ...,
        // so the group's distinct parts are ⌈n·w / part_bits⌉, each read once (SystemDriver, system_tb.cpp).
        let hostLines = host.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let P = try #require(hostLines.first { $0.first == "part_bits" }.flatMap { Int($0[1]) })
        var groups: [[Int]: [Int]] = [:], width = 0
        for o in hostLines where o.first == "output" {
            let n = o.dropFirst().compactMap { Int($0) }
            try #require(n.count == 9, "\(o)")
            let (x, y, word, first, parts, lo, w) = (n[1], n[2], n[4], n[5], n[6], n[7], n[8])
            #expect(lo + w <= parts * P && lo < P, "\(o)")
            groups[[x, y, word], default: []].append(first * P + lo)
            width = w
        }
        #expect(!groups.isEmpty)
        var distinct = 0
        for (g, starts) in groups {
            #expect(starts.sorted() == (0 ..< starts.count).map { $0 * width }, "group \(g): potentials at \(starts.sorted())")
            distinct += (starts.count * width + P - 1) / P
        }
        let fieldParts = hostLines.filter { $0.first == "output" }.map { Int($0[7])! }.reduce(0, +)
        #expect(distinct < fieldParts, "neighbouring potentials share parts: \(distinct) distinct of \(fieldParts)")
        // The Swift host reads exactly those parts, each once (system_tb.cpp alike: SimTestbenchTests).
        let plan = try DesignDir.open(design).plan
        let (reads, fields) = HostProgram.logitReads(plan)
        #expect(reads.count == distinct, "\(reads.count) reads for \(distinct) distinct parts")
        #expect(Set(reads.map { [$0.x, $0.y, $0.word, $0.part] }).count == reads.count)
        #expect(fields.map(\.reads.count).reduce(0, +) == fieldParts)
        let lines = events.split(separator: "\n")
        #expect(lines.filter { $0.hasPrefix("image ") }.count == 7 && lines.filter { $0 == "end" }.count == 7)
        #expect(lines.filter { $0.hasPrefix("expect ") }.allSatisfy { $0.split(separator: " ").count == 11 })

        let bad = runCLI(["host-program", "--design", design.path, "--limit", "0", "--out", out.path]) ?? ""
        #expect(bad.contains("--limit: got 0"), "\(bad)")
        let missing = runCLI(["host-program", "--design", Self.root.appendingPathComponent("nope").path, "--out", out.path]) ?? ""
        #expect(missing.contains("nope"), "\(missing)")
    }
}
