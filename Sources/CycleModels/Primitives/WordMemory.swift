import SpikeForgeCore

/// A memory of `depth` words of `width` bits, stored flat, least significant word first.
public struct WordMemory: Hashable, Sendable {
    public let width: Int, depth: Int, wordsPerEntry: Int
    public private(set) var storage: [UInt64]

    public init(width: Int, depth: Int) {
        self.width = width
        self.depth = depth
        wordsPerEntry = (width + 63) / 64
        storage = Array(repeating: 0, count: depth * wordsPerEntry)
    }

    @inline(__always) public func word(_ a: Int) -> ArraySlice<UInt64> { storage[a * wordsPerEntry ..< (a + 1) * wordsPerEntry] }
    @inline(__always) public func field(_ a: Int, lo: Int, width w: Int) -> UInt64 { Bits.field(word(a), lo: lo, width: w) }

    /// Copies word `a` into `buffer` (of `wordsPerEntry` words) without allocating.
    @inline(__always) public func read(_ a: Int, into buffer: inout [UInt64]) {
        for k in 0 ..< wordsPerEntry { buffer[k] = storage[a * wordsPerEntry + k] }
    }

    public mutating func write(_ a: Int, _ value: some Collection<UInt64>) {
        var k = 0
        for v in value where k < wordsPerEntry {
            let rem = width - 64 * k
            storage[a * wordsPerEntry + k] = v & Bits.mask(min(rem, 64))
            k += 1
        }
        while k < wordsPerEntry {
            storage[a * wordsPerEntry + k] = 0
            k += 1
        }
    }

    /// Replaces the `w`-bit field at bit `lo` of word `a` (a write of one bank of a split word).
    @inline(__always) public mutating func setField(_ a: Int, lo: Int, width w: Int, _ value: UInt64) {
        Bits.setField(&storage, lo: a * wordsPerEntry * 64 + lo, width: w, value)
    }

    /// Loads words from a `$readmemh` image (what the RTL's `INIT_*` parameter does).
    public mutating func load(_ words: [[UInt64]]) {
        for (a, w) in words.prefix(depth).enumerated() { write(a, w) }
    }
}
