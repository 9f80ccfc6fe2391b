import SpikeForgeCore

/// A `BitField` as the cycle loop reads it: a shift and a mask, stored once. (A `BitField`
/// carries its name, the static `PacketLayout` fields are lazily initialized globals, and their
/// accessors are not inlined across modules: each read would cost a call, a `swift_once` and a
/// retain of the name.)
struct WordField: Sendable {
    let shift: UInt64, mask: UInt64

    init(_ f: BitField) {
        shift = UInt64(f.lo)
        mask = Bits.mask(f.width)
    }

    /// `BitField.get`: a shift of 64 or more gives 0, as `BitField` does for `lo >= 64`.
    @inline(__always) func get(_ w: UInt64) -> UInt64 { w >> shift & mask }
    @inline(__always) func int(_ w: UInt64) -> Int { Int(truncatingIfNeeded: get(w)) }
    @inline(__always) func flag(_ w: UInt64) -> Bool { get(w) != 0 }
}

/// A signed lane field of `width` bits: sign extension and saturation bounds computed once.
struct SignedWidth: Sendable {
    let width: Int, signShift: UInt64, mask: UInt64, lo: Int64, hi: Int64

    init(_ width: Int) {
        self.width = width
        signShift = UInt64(max(0, 64 - width))
        mask = Bits.mask(width)
        let r = Bits.signedRange(width)
        lo = r.lowerBound
        hi = r.upperBound
    }

    /// `Bits.signExtend` of the low `width` bits of `raw` (bits above are shifted out).
    @inline(__always) func extend(_ raw: UInt64) -> Int64 { Int64(bitPattern: raw << signShift) >> Int64(signShift) }

    /// `Bits.saturatingAdd(a, b, width:).sum`.
    @inline(__always) func add(_ a: Int64, _ b: Int64) -> Int64 {
        let (s, o) = a.addingReportingOverflow(b)
        let wide: Int64 = o ? (a < 0 ? Int64.min : Int64.max) : s
        return min(max(wide, lo), hi)
    }

    /// The `width`-bit field at bit `at` of packed words, sign-extended (`Bits.field` then
    /// `Bits.signExtend`).
    @inline(__always) func read(_ words: UnsafeBufferPointer<UInt64>, at: Int) -> Int64 {
        let w = at >> 6, sh = at & 63
        var x = words[w] >> UInt64(sh)
        if sh != 0 && sh + width > 64 && w + 1 < words.count { x |= words[w + 1] << UInt64(64 - sh) }
        return extend(x)
    }

    /// `Bits.setField(&words, lo: at, width:, Bits.raw(value, width:))`.
    @inline(__always) func write(_ words: UnsafeMutableBufferPointer<UInt64>, at: Int, _ value: Int64) {
        let v = UInt64(bitPattern: value) & mask
        let w = at >> 6, sh = at & 63
        words[w] = words[w] & ~(mask << UInt64(sh)) | v << UInt64(sh)
        if sh != 0 && sh + width > 64 {
            let hiBits = sh + width - 64
            words[w + 1] = words[w + 1] & ~Bits.mask(hiBits) | v >> UInt64(64 - sh)
        }
    }
}
