import Generators
import HWIR
import SpikeForgeCore
import Testing

/// The PE generator decodes packets where `PacketLayout` puts their fields (the cycle model
/// decodes through the same layout, and the PE lockstep tests hold the two equal cycle by cycle).
@Suite struct PacketLayoutAgreementTests {
    static func slice(of node: String, in m: Module) -> (source: String, hi: Int, lo: Int)? {
        guard let a = m.assigns.first(where: { $0.target == node }), case let .slice(.ref(src, _), hi, lo) = a.value else { return nil }
        return (src, hi, lo)
    }

    @Test(arguments: [48, 56, 64])
    func coreDecodesTheHeadThroughTheLayout(_ F: Int) throws {
        let c = PEConfig(neurons: 64, lanes: 4, axons: 256, weightRows: 512, flitWidth: F)
        let design = try PEGenerator.design(c)
        let core = try #require(design.modules.first { $0.name == c.coreModuleName })
        typealias L = PacketLayout
        let expected: [(String, BitField)] = [
            ("head_type", L.Header.type), ("head_mem", L.ConfigWrite.memory), ("head_addr", L.ConfigWrite.address),
            ("head_data", L.ConfigWrite.data(flitWidth: F)),
        ]
        for (node, field) in expected {
            let s = try #require(Self.slice(of: node, in: core), "\(node) is not a slice of the head flit")
            #expect(s.source == "head" && s.hi == field.hi && s.lo == field.lo, "\(node) = \(s.source)[\(s.hi):\(s.lo)], layout \(field)")
        }
        // Read requests and configuration writes share the memory and address fields.
        #expect(L.ReadRequest.memory == L.ConfigWrite.memory && L.ReadRequest.address == L.ConfigWrite.address)
        // The registers that hold packet fields are exactly as wide as the fields.
        let widths = Dictionary(uniqueKeysWithValues: core.regs.map { ($0.name, $0.type.width) })
        #expect(widths["a_mult_q"] == L.Spike.multiplicity.width)
        #expect(widths["resp_tag_q"] == L.ReadRequest.tag.width)
        #expect(widths["resp_mem_q"] == L.ReadRequest.memory.width)
        #expect(widths["resp_addr_q"] == L.ReadRequest.address.width)
        #expect(widths["l_kind_q"] == RowKind.bits)
    }

    /// Packing never traps: a narrower value is zero-extended into its field, and a field that
    /// does not fit the word is a typed validation error.
    @Test func packingFitsValuesAndReportsFieldsOutsideTheWord() throws {
        let ok = ModuleBuilder("PackOK")
        let x = ok.input("x", .uint(2))
        ok.assign(ok.output("y", .uint(64)), Expr.packed(width: 64, [(PacketLayout.Header.type, x), (PacketLayout.Header.host, .one)]))
        try Design(top: "PackOK", modules: [ok.build()]).validate()
        let bad = ModuleBuilder("PackBad")
        let t = bad.input("t", .uint(PacketLayout.Header.type.width))
        bad.assign(bad.output("y", .uint(16)), Expr.packed(width: 16, [(PacketLayout.Header.type, t)]))
        #expect(throws: IRValidationError.self) { try Design(top: "PackBad", modules: [bad.build()]).validate() }
    }
}
