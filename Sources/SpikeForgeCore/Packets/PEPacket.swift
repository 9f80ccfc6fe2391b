/// Where a packet goes: a rectangle of tiles (an X-Y multicast when larger than one tile), or
/// the host port when `host` is set.
public struct Destination: Hashable, Sendable {
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public var host: Bool

    public init(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.host = host
    }

    /// The tile (x, y) alone.
    public static func tile(_ x: Int, _ y: Int) -> Destination { Destination(x0: x, x1: x, y0: y, y1: y) }
    /// The host port (the rectangle fields are zero).
    public static let toHost = Destination(x0: 0, x1: 0, y0: 0, y1: 0, host: true)
}

/// Every packet a PE takes or sends, with named fields (docs/PACKETS.md). `encode` and
/// `decode` are the one place where packet fields meet bit positions (`PacketLayout`); all fit
/// one 64-bit word (`flitWidth` ≤ 64).
public enum Packet: Hashable, Sendable {
    case spike(Destination, axon: Int, negative: Bool, multiplicity: Int)
    /// One part of one word of memory `memory` (`PEMemory` id); `address` holds the part index
    /// above the word address (`PEConfig.packetAddress`).
    case configWrite(Destination, memory: Int, address: Int, data: UInt64)
    case readRequest(Destination, memory: Int, address: Int, tag: Int)
    case readResponse(Destination, memory: Int, tag: Int, data: UInt64)
    case control(Destination, opcode: Int, layer: Int)

    public var type: FlitType {
        switch self {
        case .spike: return .spike
        case .configWrite: return .configWrite
        case .readRequest: return .readRequest
        case .readResponse: return .readResponse
        case .control: return .control
        }
    }

    public var destination: Destination {
        switch self {
        case let .spike(d, _, _, _), let .configWrite(d, _, _, _), let .readRequest(d, _, _, _), let .readResponse(d, _, _, _),
             let .control(d, _, _):
            return d
        }
    }

    /// The flit, `flitWidth` bits (at most 64); each field is truncated to its width.
    public func encode(flitWidth: Int) -> UInt64 {
        typealias L = PacketLayout
        let d = destination
        var f = L.Header.x0.place(d.x0) | L.Header.x1.place(d.x1) | L.Header.y0.place(d.y0) | L.Header.y1.place(d.y1)
            | L.Header.host.place(d.host) | L.Header.type.place(type.rawValue)
        switch self {
        case let .spike(_, axon, negative, multiplicity):
            f |= L.Spike.axon.place(axon) | L.Spike.negative.place(negative) | L.Spike.multiplicity.place(multiplicity)
        case let .configWrite(_, memory, address, data):
            f |= L.ConfigWrite.memory.place(memory) | L.ConfigWrite.address.place(address) | L.ConfigWrite.data(flitWidth: flitWidth).place(data)
        case let .readRequest(_, memory, address, tag):
            f |= L.ReadRequest.memory.place(memory) | L.ReadRequest.address.place(address) | L.ReadRequest.tag.place(tag)
        case let .readResponse(_, memory, tag, data):
            f |= L.ReadResponse.memory.place(memory) | L.ReadResponse.tag.place(tag)
                | L.ReadResponse.data(partBits: L.partBits(flitWidth: flitWidth)).place(data)
        case let .control(_, opcode, layer):
            f |= L.Control.opcode.place(opcode) | L.Control.layer.place(layer)
        }
        return f & Bits.mask(flitWidth)
    }

    /// The packet a `flitWidth`-bit flit carries, or nil for an unknown type (5 … 7).
    public static func decode(_ f: UInt64, flitWidth: Int) -> Packet? {
        typealias L = PacketLayout
        let d = Destination(x0: L.Header.x0.int(f), x1: L.Header.x1.int(f), y0: L.Header.y0.int(f), y1: L.Header.y1.int(f),
                            host: L.Header.host.flag(f))
        switch FlitType(rawValue: L.Header.type.int(f)) {
        case .spike?:
            return .spike(d, axon: L.Spike.axon.int(f), negative: L.Spike.negative.flag(f), multiplicity: L.Spike.multiplicity.int(f))
        case .configWrite?:
            return .configWrite(d, memory: L.ConfigWrite.memory.int(f), address: L.ConfigWrite.address.int(f),
                                data: L.ConfigWrite.data(flitWidth: flitWidth).get(f))
        case .readRequest?:
            return .readRequest(d, memory: L.ReadRequest.memory.int(f), address: L.ReadRequest.address.int(f), tag: L.ReadRequest.tag.int(f))
        case .readResponse?:
            return .readResponse(d, memory: L.ReadResponse.memory.int(f), tag: L.ReadResponse.tag.int(f),
                                 data: L.ReadResponse.data(partBits: L.partBits(flitWidth: flitWidth)).get(f))
        case .control?:
            return .control(d, opcode: L.Control.opcode.int(f), layer: L.Control.layer.int(f))
        case nil:
            return nil
        }
    }
}

/// Builders and decoders for the packets a PE takes and sends, as 64-bit flits (`Packet` with
/// the common destinations).
public enum PEPacket {
    public static func spike(x: Int, y: Int, axon: Int, negative: Bool = false, multiplicity: Int = 1) -> UInt64 {
        Packet.spike(.tile(x, y), axon: axon, negative: negative, multiplicity: multiplicity).encode(flitWidth: 64)
    }

    public static func spike(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false, axon: Int, negative: Bool, multiplicity: Int) -> UInt64 {
        Packet.spike(Destination(x0: x0, x1: x1, y0: y0, y1: y1, host: host), axon: axon, negative: negative, multiplicity: multiplicity)
            .encode(flitWidth: 64)
    }

    /// A configuration write of one part of one word. `data` is truncated to `partBits`.
    public static func configWrite(_ c: PEConfig, x: Int, y: Int, memory: Int, address: Int, data: UInt64) -> UInt64 {
        Packet.configWrite(.tile(x, y), memory: memory, address: address, data: data).encode(flitWidth: c.flitWidth)
    }

    public static func readRequest(x: Int, y: Int, memory: Int, address: Int, tag: Int) -> UInt64 {
        Packet.readRequest(.tile(x, y), memory: memory, address: address, tag: tag).encode(flitWidth: 64)
    }

    public static func control(x0: Int, x1: Int, y0: Int, y1: Int, opcode: Int, layer: Int = 0) -> UInt64 {
        Packet.control(Destination(x0: x0, x1: x1, y0: y0, y1: y1), opcode: opcode, layer: layer).encode(flitWidth: 64)
    }

    /// The packets that write `word` (a `width`-bit value, least significant word first) to
    /// `memory[index]`, part 0 first.
    public static func writeWord(_ c: PEConfig, x: Int, y: Int, memory: PEMemory, index: Int, word: [UInt64]) -> [UInt64] {
        (0 ..< c.parts(memory)).map { p in
            let data = Bits.field(word[...] + [0], lo: p * c.partBits, width: c.partBits)
            return configWrite(c, x: x, y: y, memory: memory.rawValue, address: c.packetAddress(memory, word: index, part: p), data: data)
        }
    }

    public struct Response: Hashable, Sendable {
        public var memory: Int
        public var tag: Int
        public var data: UInt64
    }

    /// Decodes a read response (type 3), or nil for any other packet. `data` is every bit above
    /// the tag (the PE sends zeros above its `partBits`).
    public static func response(_ f: UInt64) -> Response? {
        guard case let .readResponse(_, memory, tag, data)? = Packet.decode(f, flitWidth: 64) else { return nil }
        return Response(memory: memory, tag: tag, data: data)
    }

    public struct SpikeFields: Hashable, Sendable {
        public var axon: Int
        public var negative: Bool
        public var multiplicity: Int
    }

    public static func spikeFields(_ f: UInt64) -> SpikeFields? {
        guard case let .spike(_, axon, negative, multiplicity)? = Packet.decode(f, flitWidth: 64) else { return nil }
        return SpikeFields(axon: axon, negative: negative, multiplicity: multiplicity)
    }
}
