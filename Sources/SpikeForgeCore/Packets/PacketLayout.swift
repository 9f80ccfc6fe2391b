/// The bit layout of every SpikeForge packet, defined once (docs/PACKETS.md). Every packet is
/// one flit: a 20-bit routing header, then the payload of its type. Generators slice the flit
/// with these fields, and the cycle models, drivers, images and the C++ testbench's layout file
/// decode through them; no other code writes a packet field's bit offset.
///
/// | bits | header field |
/// |---|---|
/// | 3:0, 7:4 | `x0`, `x1`: destination columns (a range; unicast has `x0 == x1`) |
/// | 11:8, 15:12 | `y0`, `y1`: destination rows |
/// | 16 | `host`: bound for the host port (the rectangle is ignored) |
/// | 19:17 | `type` (`FlitType`) |
public enum PacketLayout {
    /// The routing header of every flit.
    public enum Header {
        public static let x0 = BitField("x0", lo: 0, width: 4)
        public static let x1 = BitField("x1", lo: 4, width: 4)
        public static let y0 = BitField("y0", lo: 8, width: 4)
        public static let y1 = BitField("y1", lo: 12, width: 4)
        public static let host = BitField("host", lo: 16, width: 1)
        public static let type = BitField("type", lo: 17, width: 3)
        public static let fields = [x0, x1, y0, y1, host, type]
        /// Header bits; the payload starts here.
        public static let bits = type.end
        /// The largest coordinate a header can name (mesh side − 1).
        public static let maxCoordinate = Int(x0.maxValue)
    }

    /// Type 0: one spike (or `multiplicity` spikes) on axon `axon` of every destination tile.
    public enum Spike {
        public static let axon = BitField("axon", lo: Header.bits, width: 16)
        public static let negative = BitField("negative", lo: axon.end, width: 1)
        public static let multiplicity = BitField("multiplicity", lo: negative.end, width: 4)
        public static let fields = [axon, negative, multiplicity]
    }

    /// Type 1: one part of one word of a PE memory.
    public enum ConfigWrite {
        public static let memory = BitField("memory", lo: Header.bits, width: 4)
        /// The word address, with the part index above it (`PEConfig.packetAddress`).
        public static let address = BitField("address", lo: memory.end, width: 16)
        /// The data field fills the flit above the address.
        public static func data(flitWidth: Int) -> BitField { BitField("data", lo: address.end, width: flitWidth - address.end) }
        public static func fields(flitWidth: Int) -> [BitField] { [memory, address, data(flitWidth: flitWidth)] }
    }

    /// Type 2: read one part of one word; the answer is a read response with the same tag.
    public enum ReadRequest {
        public static let memory = ConfigWrite.memory
        public static let address = ConfigWrite.address
        public static let tag = BitField("tag", lo: address.end, width: 8)
        public static let fields = [memory, address, tag]
    }

    /// Type 3: the answer to a read request, sent to the host.
    public enum ReadResponse {
        public static let memory = BitField("memory", lo: Header.bits, width: 4)
        public static let tag = BitField("tag", lo: memory.end, width: 8)
        /// As wide as a configuration part (`partBits`), so a read returns what a write sets.
        public static func data(partBits: Int) -> BitField { BitField("data", lo: tag.end, width: partBits) }
        public static func fields(partBits: Int) -> [BitField] { [memory, tag, data(partBits: partBits)] }
    }

    /// Type 4: a control operation (`PEControl`) on one layer.
    public enum Control {
        public static let opcode = BitField("opcode", lo: Header.bits, width: 4)
        public static let layer = BitField("layer", lo: opcode.end, width: 8)
        public static let fields = [opcode, layer]
    }

    /// Data bits of a configuration part (and of a read response) in a `flitWidth`-bit flit.
    public static func partBits(flitWidth: Int) -> Int { flitWidth - ConfigWrite.address.end }
    /// The narrowest flit that carries every packet kind with at least 8 data bits.
    public static let minimumPEFlitWidth = ConfigWrite.address.end + 8

    /// The payload fields of each packet kind in a `flitWidth`-bit flit.
    public static func payload(_ type: FlitType, flitWidth: Int) -> [BitField] {
        switch type {
        case .spike: return Spike.fields
        case .configWrite: return ConfigWrite.fields(flitWidth: flitWidth)
        case .readRequest: return ReadRequest.fields
        case .readResponse: return ReadResponse.fields(partBits: partBits(flitWidth: flitWidth))
        case .control: return Control.fields
        }
    }
}
