/// One named field of a flit or memory word: `width` bits starting at bit `lo` (LSB = bit 0).
///
/// The packet layout (`PacketLayout`) and the PE's memory words (`TargetEntry.Field`) are
/// written as `BitField`s once; the generators slice expressions with them, and the cycle
/// models, drivers and images read and write words through `get` and `place`.
public struct BitField: Hashable, Sendable, CustomStringConvertible {
    public let name: String
    public let lo: Int
    public let width: Int

    public init(_ name: String, lo: Int, width: Int) {
        self.name = name
        self.lo = lo
        self.width = width
    }

    /// The most significant bit.
    public var hi: Int { lo + width - 1 }
    /// The first bit above the field.
    public var end: Int { lo + width }
    @inlinable public var mask: UInt64 { Bits.mask(width) }
    /// The largest value the field holds.
    public var maxValue: UInt64 { mask }

    /// The field's value in `word`.
    @inlinable @inline(__always) public func get(_ word: UInt64) -> UInt64 { lo >= 64 ? 0 : word >> UInt64(lo) & mask }
    @inlinable @inline(__always) public func int(_ word: UInt64) -> Int { Int(truncatingIfNeeded: get(word)) }
    @inlinable @inline(__always) public func flag(_ word: UInt64) -> Bool { get(word) != 0 }

    /// `value` (truncated to the field) in its place; OR the results of several fields together.
    @inlinable @inline(__always) public func place(_ value: UInt64) -> UInt64 { lo >= 64 ? 0 : (value & mask) << UInt64(lo) }
    @inlinable @inline(__always) public func place(_ value: Int) -> UInt64 { place(UInt64(truncatingIfNeeded: value)) }
    @inlinable @inline(__always) public func place(_ value: Bool) -> UInt64 { place(value ? 1 as UInt64 : 0) }

    /// `word` with this field replaced by `value`.
    @inlinable @inline(__always) public func set(_ word: UInt64, _ value: UInt64) -> UInt64 { word & ~place(mask) | place(value) }

    public var description: String { width == 1 ? "\(name)[\(lo)]" : "\(name)[\(hi):\(lo)]" }

    /// The fields in order of `lo`; the first pair that overlaps, if any.
    public static func overlap(_ fields: [BitField]) -> (BitField, BitField)? {
        let s = fields.sorted { $0.lo < $1.lo }
        for (a, b) in zip(s, s.dropFirst()) where b.lo <= a.hi { return (a, b) }
        return nil
    }
}
