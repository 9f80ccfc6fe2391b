import SpikeForgeCore

/// A signed lane field of `width` bits, read and written in packed words through a buffer
/// pointer (the lane loops hold one for the step), sign-extended and saturated through `Bits`.
struct SignedWidth: Sendable {
    let width: Int, mask: UInt64

    init(_ width: Int) {
        self.width = width
        mask = Bits.mask(width)
    }

    /// `Bits.signExtend` of the low `width` bits of `raw`.
    @inline(__always) func extend(_ raw: UInt64) -> Int64 { Bits.signExtend(raw, width: width) }

    /// `Bits.saturatingAdd(a, b, width:).sum`.
    @inline(__always) func add(_ a: Int64, _ b: Int64) -> Int64 { Bits.saturatingAdd(a, b, width: width).sum }

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
