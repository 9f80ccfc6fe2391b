import HWIR
import SpikeForgeCore

/// Packet and memory-word fields in IR: generators slice and assemble words through the
/// `BitField`s of `PacketLayout` and the PE's word layouts, never through literal offsets.
extension Expr {
    /// The bits of `f` in this word.
    public func field(_ f: BitField) -> Expr { f.width == 1 ? bit(f.lo) : bits(f.hi, f.lo) }

    /// The bits of this word above `f` (up to `width`, exclusive), or nil when `f` reaches the top.
    public func above(_ f: BitField, width: Int) -> Expr? { f.end < width ? bits(width - 1, f.end) : nil }

    /// A `width`-bit word with each value in its field and zeros elsewhere. Each value is fitted
    /// to its field (zero-extended, or cut to the field's low bits), so a field always lands at
    /// its offset; `PacketLayoutTests` holds the layout free of overlaps. A field that ends above
    /// `width` makes the word wider, which `Design.validate()` reports where the word is used.
    public static func packed(width: Int, _ fields: [(BitField, Expr)]) -> Expr {
        var parts: [Expr] = []  // LSB first
        var at = 0
        for (f, v) in fields.sorted(by: { $0.0.lo < $1.0.lo }) where f.lo >= at {
            if f.lo > at { parts.append(.lit(0, .uint(f.lo - at))) }
            let u = v.asUnsigned
            parts.append(u.type.width > f.width ? u.bits(f.width - 1, 0) : u.resized(f.width))
            at = f.end
        }
        if at < width { parts.append(.lit(0, .uint(width - at))) }
        return parts.count == 1 ? parts[0] : .concat(parts.reversed())
    }
}
