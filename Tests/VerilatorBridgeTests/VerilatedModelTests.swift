import VerilatorBridge
import CycleModels
import Foundation
import Generators
import HWIR
import SpikeForgeCore
import SpikeForgeTestSupport
import Testing

@Suite struct VerilatedModelTests {
    @Test func widePortsPokeAndPeek() throws {
        let c = FIFOConfig(width: 130, depth: 4)
        let m = try TestSupport.build(try FIFOGenerator.design(c))
        let word: [UInt64] = [0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x3]
        // Reset for one cycle, then push one word with batched steps.
        var frame = PortValues(m.inputLayout)
        frame.set(0, true)
        _ = m.run(cycles: 1, inputs: frame.words)
        frame = PortValues(m.inputLayout)
        frame.set(1, true)
        frame.setWide(2, word)
        _ = m.run(cycles: 1, inputs: frame.words)
        // Peek after settling with idle inputs.
        try m.poke("in_valid", [0])
        try m.poke("in_data", [~0, ~0, ~0])
        m.eval()
        #expect(try m.peek("out_data") == word)
        #expect(try m.peek("count") == [1])
        #expect(throws: CoSimError.self) { try m.peek("nope") }
        #expect(m.cycles == 2)
    }

    @Test func instancesHaveIndependentState() throws {
        let d = try AccumulatorGenerator.design(.init(inWidth: 8, accWidth: 16))
        let a = try TestSupport.build(d)
        let b = try TestSupport.build(d)
        var f = PortValues(a.inputLayout)
        f.set(3, true)
        f.setSigned(4, 5)
        _ = a.run(cycles: 10, inputs: Array((0 ..< 10).flatMap { _ in f.words }))
        a.eval()
        b.eval()
        #expect(try a.peek("acc") == [50])
        #expect(try b.peek("acc") == [0])
    }

    @Test func fstWaveformIsWritten() throws {
        let dir = TestSupport.tempDir("sf-fst")
        defer { try? FileManager.default.removeItem(at: dir) }
        let d = try FIFOGenerator.design(.init(width: 8, depth: 4))
        let plain = try TestSupport.build(d)
        #expect(throws: CoSimError.self) { try plain.trace(to: dir.appendingPathComponent("x.fst").path) }
        let m = try TestSupport.build(d, options: .init(trace: true))
        let path = dir.appendingPathComponent("fifo.fst").path
        try m.trace(to: path)
        var rng = SplitMix64(seed: 1)
        let inputs = (0 ..< 200 * m.inputLayout.stride).map { _ in rng.next() & 0xFF }
        _ = m.run(cycles: 200, inputs: inputs)
        m.closeTrace()
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(data.count > 200)
        #expect(data.first == 0, "FST files start with a header block (type 0)")
    }

    @Test func readmemhImageIsLoadedByRTLAndModel() throws {
        let dir = TestSupport.tempDir("sf-hex")
        defer { try? FileManager.default.removeItem(at: dir) }
        let c = SRAMConfig(width: 12, depth: 32, kind: .simpleDualPort)
        var rng = SplitMix64(seed: 7)
        let words = (0 ..< 32).map { _ in [rng.bits(12)] }
        let hex = dir.appendingPathComponent("image.hex")
        try ReadMemH.format(words, width: 12).write(to: hex, atomically: true, encoding: .utf8)
        var model = try SRAMModel(c, readmemh: hex.path)
        var rtl = try TestSupport.build(try SRAMGenerator.design(c), options: .init(parameters: ["INIT_FILE": "\"\(hex.path)\""]))
        // Read every word back first, then mix in writes.
        try Lockstep.run(reference: &model, dut: &rtl, cycles: 5_000, seed: Lockstep.seed(default: 0x4E), configuration: "\(c) + \(hex.lastPathComponent)") { rng, cycle, f in
            f.set(0, cycle >= 64 && rng.chance(0.3))
            f[1] = rng.next() % 32
            f[2] = rng.bits(12)
            f.set(3, true)
            f[4] = cycle < 64 ? UInt64(cycle % 32) : rng.next() % 32
        }
        #expect(model.mem.count == 32)
    }
}
