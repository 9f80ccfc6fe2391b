import HWIR
import SpikeForgeCore

/// Packet and memory-word fields in IR: generators slice and assemble words through the
/// `BitField`s of `PacketLayout` and the PE's word layouts, never through literal offsets.
extension Expr {
    /// The bits of `f` in this word.
    public func field(_ f: BitField) -> Expr { f.width == 1 ? bit(f.lo) : bits(f.hi, f.lo) }

    /// The bits of this word above `f` (up to `width`, exclusive), or nil when `f` reaches the top.
    public func above(_ f: BitField, width: Int) -> Expr? { f.end < width ? bits(width - 1, f.end) : nil }

    /// A `width`-bit word with each value in its field and zeros elsewhere. Each value must be
    /// exactly as wide as its field, and the fields must not overlap.
    public static func packed(width: Int, _ fields: [(BitField, Expr)]) -> Expr {
        precondition(BitField.overlap(fields.map(\.0)) == nil, "overlapping fields in \(fields.map(\.0))")
        var parts: [Expr] = []  // LSB first
        var at = 0
        for (f, v) in fields.sorted(by: { $0.0.lo < $1.0.lo }) {
            precondition(v.type.width == f.width && f.end <= width, "\(f) cannot hold a \(v.type.width)-bit value in a \(width)-bit word")
            if f.lo > at { parts.append(.lit(0, .uint(f.lo - at))) }
            parts.append(v.asUnsigned)
            at = f.end
        }
        if at < width { parts.append(.lit(0, .uint(width - at))) }
        return parts.count == 1 ? parts[0] : .concat(parts.reversed())
    }
}
