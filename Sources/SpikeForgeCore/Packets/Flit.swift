/// A flit of the SpikeForge network-on-chip. Every packet is one flit: the routing header of
/// `PacketLayout.Header`, then the payload (`PacketLayout` gives the payload of each type).
public struct Flit: Hashable, Sendable {
    public static let headerBits = PacketLayout.Header.bits
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public var host: Bool
    public var type: FlitType
    /// Payload bits above the header (up to 64 modelled here).
    public var payload: UInt64

    public init(x0: Int, x1: Int, y0: Int, y1: Int, host: Bool = false, type: FlitType = .spike, payload: UInt64 = 0) {
        self.x0 = x0
        self.x1 = x1
        self.y0 = y0
        self.y1 = y1
        self.host = host
        self.type = type
        self.payload = payload
    }

    /// A unicast flit to router (x, y).
    public static func unicast(x: Int, y: Int, type: FlitType = .spike, payload: UInt64 = 0) -> Flit {
        Flit(x0: x, x1: x, y0: y, y1: y, type: type, payload: payload)
    }

    /// The routing header alone.
    public var header: UInt64 {
        typealias H = PacketLayout.Header
        return H.x0.place(x0) | H.x1.place(x1) | H.y0.place(y0) | H.y1.place(y1) | H.host.place(host) | H.type.place(type.rawValue)
    }

    /// Raw flit bits (`flitWidth` ≤ 84 keeps the payload whole).
    public func encode(width: Int) -> [UInt64] {
        var w = [UInt64](repeating: 0, count: (width + 63) / 64)
        w[0] = header | payload << UInt64(Self.headerBits)
        if w.count > 1 { w[1] = payload >> UInt64(64 - Self.headerBits) }
        let top = width % 64
        if top != 0 { w[w.count - 1] &= Bits.mask(top) }
        return w
    }

    public static func decode(_ w: ArraySlice<UInt64>) -> Flit {
        let a = w[w.startIndex]
        let hi = w.count > 1 ? w[w.startIndex + 1] : 0
        typealias H = PacketLayout.Header
        return Flit(
            x0: H.x0.int(a), x1: H.x1.int(a), y0: H.y0.int(a), y1: H.y1.int(a), host: H.host.flag(a),
            type: FlitType(rawValue: H.type.int(a)) ?? .control, payload: a >> UInt64(headerBits) | hi << UInt64(64 - headerBits)
        )
    }
}

/// Packet classes (docs/PACKETS.md).
public enum FlitType: Int, Sendable, CaseIterable, Hashable {
    case spike = 0, configWrite = 1, readRequest = 2, readResponse = 3, control = 4
}
