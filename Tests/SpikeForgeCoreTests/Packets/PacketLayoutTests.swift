import SpikeForgeCore
import Testing

/// The packet layout: every kind's fields fit the flit without overlapping, and every packet
/// kind survives encode → decode on random fields (seeded; the seed is printed on failure).
@Suite struct PacketLayoutTests {
    static let flitWidths = [PacketLayout.minimumPEFlitWidth, 56, 64]

    @Test(arguments: flitWidths)
    func fieldsFitAndDoNotOverlap(_ F: Int) {
        for t in FlitType.allCases {
            let fields = PacketLayout.Header.fields + PacketLayout.payload(t, flitWidth: F)
            let clash = BitField.overlap(fields)
            #expect(clash == nil, "\(t) at \(F) bits: \(String(describing: clash))")
            for f in fields {
                #expect(f.width >= 1 && f.lo >= 0 && f.end <= F, "\(t): \(f) outside a \(F)-bit flit")
            }
        }
        #expect(PacketLayout.Header.fields.map(\.end).max() == PacketLayout.Header.bits)
        #expect(PacketLayout.partBits(flitWidth: F) == PacketLayout.ConfigWrite.data(flitWidth: F).width)
        #expect(PacketLayout.ReadResponse.data(partBits: PacketLayout.partBits(flitWidth: F)).end <= F)
    }

    static func randomPacket(_ rng: inout SplitMix64, flitWidth F: Int) -> Packet {
        func r(_ f: BitField) -> Int { Int(rng.next() & f.mask) }
        typealias L = PacketLayout
        let dest = Destination(x0: r(L.Header.x0), x1: r(L.Header.x1), y0: r(L.Header.y0), y1: r(L.Header.y1), host: rng.chance(0.5))
        switch rng.next() % 5 {
        case 0: return .spike(dest, axon: r(L.Spike.axon), negative: rng.chance(0.5), multiplicity: r(L.Spike.multiplicity))
        case 1: return .configWrite(dest, memory: r(L.ConfigWrite.memory), address: r(L.ConfigWrite.address),
                                    data: rng.next() & L.ConfigWrite.data(flitWidth: F).mask)
        case 2: return .readRequest(dest, memory: r(L.ReadRequest.memory), address: r(L.ReadRequest.address), tag: r(L.ReadRequest.tag))
        case 3: return .readResponse(dest, memory: r(L.ReadResponse.memory), tag: r(L.ReadResponse.tag),
                                     data: rng.next() & L.ReadResponse.data(partBits: L.partBits(flitWidth: F)).mask)
        default: return .control(dest, opcode: r(L.Control.opcode), layer: r(L.Control.layer))
        }
    }

    @Test(arguments: flitWidths)
    func everyKindRoundTrips(_ F: Int) {
        let seed: UInt64 = 0x9AC4E7 ^ UInt64(F)
        var rng = SplitMix64(seed: seed)
        var kinds = Set<Int>()
        for i in 0 ..< 5000 {
            let p = Self.randomPacket(&rng, flitWidth: F)
            kinds.insert(p.type.rawValue)
            let f = p.encode(flitWidth: F)
            #expect(f & ~Bits.mask(F) == 0, "seed \(seed) packet \(i): \(p) sets bits above \(F)")
            let back = Packet.decode(f, flitWidth: F)
            #expect(back == p, "seed \(seed) packet \(i): \(p) decoded as \(String(describing: back))")
            #expect(Flit.decode([f][...]).type == p.type && Flit.decode([f][...]).header == f & Bits.mask(PacketLayout.Header.bits))
            if back != p { return }
        }
        #expect(kinds.count == FlitType.allCases.count)
    }

    @Test func unknownTypesDecodeToNil() {
        for t in 5 ..< 8 {
            #expect(Packet.decode(PacketLayout.Header.type.place(t), flitWidth: 64) == nil)
        }
    }

    @Test func valuesAreTruncatedToTheirFields() {
        // An out-of-range value never reaches a neighbouring field.
        let f = Packet.control(.tile(0x1F, 0), opcode: 0xFF, layer: 0x1FF).encode(flitWidth: 64)
        #expect(Packet.decode(f, flitWidth: 64) == .control(.tile(0xF, 0), opcode: 0xF, layer: 0xFF))
    }

    @Test func builderHelpersEncodeThroughTheLayout() throws {
        let c = PEConfig(flitWidth: 56)
        #expect(PEPacket.spike(x: 2, y: 3, axon: 77, negative: true, multiplicity: 9)
            == Packet.spike(.tile(2, 3), axon: 77, negative: true, multiplicity: 9).encode(flitWidth: 64))
        #expect(PEPacket.configWrite(c, x: 1, y: 0, memory: 4, address: 0x1234, data: ~0)
            == Packet.configWrite(.tile(1, 0), memory: 4, address: 0x1234, data: Bits.mask(c.partBits)).encode(flitWidth: 56))
        let resp = Packet.readResponse(.toHost, memory: 5, tag: 200, data: 0xABCDEF).encode(flitWidth: 64)
        let r = try #require(PEPacket.response(resp))
        #expect(r.memory == 5 && r.tag == 200 && r.data == 0xABCDEF)
        #expect(PEPacket.response(PEPacket.spike(x: 0, y: 0, axon: 1)) == nil)
        let sp = try #require(PEPacket.spikeFields(PEPacket.spike(x: 0, y: 0, axon: 513, negative: true, multiplicity: 3)))
        #expect(sp.axon == 513 && sp.negative && sp.multiplicity == 3)
    }

    @Test func targetEntriesRoundTripAndBecomeSpikePackets() {
        var rng = SplitMix64(seed: 0x7A6E7)
        for _ in 0 ..< 2000 {
            typealias F = TargetEntry.Field
            func r(_ f: BitField) -> Int { Int(rng.next() & f.mask) }
            let e = TargetEntry(valid: rng.chance(0.5), axon: r(F.axon), x0: r(F.x0), x1: r(F.x1), y0: r(F.y0), y1: r(F.y1), host: rng.chance(0.5))
            #expect(TargetEntry.decode(e.encode()) == e)
            #expect(e.encode() >> UInt64(TargetEntry.bits) == 0)
            guard case let .spike(d, axon, negative, m)? = Packet.decode(e.spike(negative: true).encode(flitWidth: 64), flitWidth: 64) else {
                Issue.record("\(e) did not become a spike packet")
                return
            }
            #expect(d == Destination(x0: e.x0, x1: e.x1, y0: e.y0, y1: e.y1, host: e.host) && axon == e.axon && negative && m == 1)
        }
        #expect(BitField.overlap(TargetEntry.Field.all) == nil)
    }
}
