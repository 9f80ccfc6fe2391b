import CycleModels
import SpikeForgeCore
import Testbench
import Testing

/// The energy estimate from counts (docs/ENERGY.md): each SRAM at `width × e(size)` per access,
/// the state SRAM as its two banks, each with its own count; nothing for a memory not accessed.
@Suite struct EnergyModelTests {
    static let c = PEConfig(neurons: 256, lanes: 4, vBits: 23, zBits: 10, axons: 2048)

    static func item(_ e: EnergyModel.Estimate, _ prefix: String) -> (pJ: Double, perImage: Double)? {
        e.items.first { $0.event.name.hasPrefix(prefix) }.map { ($0.event.picojoules, $0.perImage) }
    }

    @Test func theStateSRAMIsTwoBanksEachAtItsWidth() throws {
        var n = PECoreModel.Counters()
        n.synapticOps = 400
        n.sramReads[PEMemory.weights.rawValue] = 100
        n.sramReads[PEMemory.state.rawValue] = 100
        n.sramWrites[PEMemory.state.rawValue] = 100
        n.stateZReads = 40
        n.stateZWrites = 10
        let e = EnergyModel.estimate(Self.c, events: n, flitHops: 30, images: 2)
        // 92-bit and 40-bit banks of 64 words: under 8 KB, 10 pJ per 64 bits.
        let v = try #require(Self.item(e, "state V bank"))
        let z = try #require(Self.item(e, "state z bank"))
        #expect(abs(v.pJ - 92 * 10.0 / 64) < 1e-9 && v.perImage == 100, "V bank: \(v)")
        #expect(abs(z.pJ - 40 * 10.0 / 64) < 1e-9 && z.perImage == 25, "z bank: \(z)")
        #expect(!e.items.contains { $0.event.name.hasPrefix("state SRAM") }, "the state SRAM is counted by bank only")
        #expect(!e.items.contains { $0.event.name.hasPrefix("bias") }, "a memory not accessed has no row")
        let sum = e.items.map { $0.event.picojoules * $0.perImage }.reduce(0, +)
        #expect(abs(e.picojoulesPerImage - sum) < 1e-9)
        // The whole word at once would have cost 132 bits per access: the banks cost less.
        let whole = 200.0 / 2 * Double(Self.c.geometry(.state).width) * 10 / 64
        #expect(v.pJ * v.perImage + z.pJ * z.perImage < whole)

        // No z-bank access, no z-bank row.
        n.stateZReads = 0
        n.stateZWrites = 0
        #expect(Self.item(EnergyModel.estimate(Self.c, events: n, flitHops: 0, images: 1), "state z bank") == nil)
    }
}
