/// Two's-complement helpers shared by every cycle model. Values travel between models and RTL
/// as raw bit patterns in `UInt64`, masked to the port width.
public enum Bits {
    /// The low `width` bits set (`width` in 0...64).
    @inlinable public static func mask(_ width: Int) -> UInt64 {
        width >= 64 ? ~0 : (UInt64(1) << UInt64(width)) &- 1
    }

    /// Interprets the low `width` bits of `raw` as a signed number.
    @inlinable public static func signExtend(_ raw: UInt64, width: Int) -> Int64 {
        if width >= 64 { return Int64(bitPattern: raw) }
        let shift = UInt64(64 - width)
        return Int64(bitPattern: raw << shift) >> Int64(shift)
    }

    /// The raw `width`-bit pattern of a signed value (truncating).
    @inlinable public static func raw(_ value: Int64, width: Int) -> UInt64 {
        UInt64(bitPattern: value) & mask(width)
    }

    /// Smallest and largest values of a signed `width`-bit number.
    @inlinable public static func signedRange(_ width: Int) -> ClosedRange<Int64> {
        if width >= 64 { return Int64.min...Int64.max }
        let m = Int64(1) << Int64(width - 1)
        return (-m)...(m - 1)
    }

    /// Clamps `value` into the signed `width`-bit range.
    @inlinable public static func saturate(_ value: Int64, width: Int) -> Int64 {
        let r = signedRange(width)
        return min(max(value, r.lowerBound), r.upperBound)
    }

    /// Saturating signed addition that never overflows `Int64` itself.
    @inlinable public static func saturatingAdd(_ a: Int64, _ b: Int64, width: Int) -> (sum: Int64, saturated: Bool) {
        let (s, o) = a.addingReportingOverflow(b)
        let wide: Int64 = o ? (a < 0 ? Int64.min : Int64.max) : s
        let clamped = saturate(wide, width: width)
        return (clamped, o || clamped != wide)
    }

    /// Bits needed to address `count` distinct entries (at least 1).
    @inlinable public static func addressWidth(_ count: Int) -> Int {
        // Closed form, so it ends for any count (a loop on `1 << w` never reaches counts above 2^62).
        count <= 2 ? 1 : Int.bitWidth - (count - 1).leadingZeroBitCount
    }

    /// Bits needed to hold the unsigned value `value` (at least 1).
    @inlinable public static func widthFor(_ value: Int) -> Int {
        value <= 0 ? 1 : max(1, Int.bitWidth - value.leadingZeroBitCount)
    }

    /// Packs equal-width fields into words, field 0 in the least significant bits (the layout of
    /// packed vector ports such as `cmd_weights`).
    public static func packFields(_ values: [UInt64], width: Int) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: (values.count * width + 63) / 64)
        for (i, x) in values.enumerated() {
            let v = x & mask(width)
            let lo = i * width, w = lo / 64, sh = lo % 64
            out[w] |= v << UInt64(sh)
            if sh != 0 && sh + width > 64 { out[w + 1] |= v >> UInt64(64 - sh) }
        }
        return out
    }

    /// The `width`-bit field at bit offset `lo` of packed words (`width` ≤ 64).
    @inlinable public static func field(_ words: ArraySlice<UInt64>, lo: Int, width: Int) -> UInt64 {
        let w = words.startIndex + lo / 64, sh = lo % 64
        var x = words[w] >> UInt64(sh)
        if sh != 0 && sh + width > 64 && w + 1 < words.endIndex { x |= words[w + 1] << UInt64(64 - sh) }
        return x & mask(width)
    }

    /// Replaces the `width`-bit field at bit offset `lo` of packed words (`width` ≤ 64): the
    /// inverse of `field`.
    @inlinable public static func setField(_ words: inout [UInt64], lo: Int, width: Int, _ value: UInt64) {
        let v = value & mask(width)
        let w = lo / 64, sh = lo % 64
        words[w] = words[w] & ~(mask(width) << UInt64(sh)) | v << UInt64(sh)
        if sh != 0 && sh + width > 64 {
            let hiBits = sh + width - 64
            words[w + 1] = words[w + 1] & ~mask(hiBits) | v >> UInt64(64 - sh)
        }
    }

    /// Packs fields of the given widths, the first in the least significant bits (one word).
    public static func pack(_ fields: [(value: UInt64, width: Int)]) -> UInt64 {
        var out: UInt64 = 0, lo = 0
        for f in fields {
            out |= (f.value & mask(f.width)) << UInt64(lo)
            lo += f.width
        }
        return out
    }

    /// The fields of the given widths, the first from the least significant bits.
    public static func unpack(_ w: UInt64, _ widths: [Int]) -> [UInt64] {
        var lo = 0
        return widths.map { width in
            defer { lo += width }
            return w >> UInt64(lo) & mask(width)
        }
    }
}
