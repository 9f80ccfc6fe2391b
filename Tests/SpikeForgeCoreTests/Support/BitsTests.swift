import SpikeForgeCore
import Testing

@Suite struct BitsTests {
    @Test func saturatingAddMatchesExactArithmeticExhaustively() {
        for w in 2 ... 6 {
            let r = Bits.signedRange(w)
            for a in r {
                for b in r {
                    let exact = a + b
                    let (s, sat) = Bits.saturatingAdd(a, b, width: w)
                    #expect(s == min(max(exact, r.lowerBound), r.upperBound))
                    #expect(sat == !r.contains(exact))
                }
            }
        }
    }

    @Test func sixtyFourBitCornersNeverWrap() {
        #expect(Bits.saturatingAdd(.max, 1, width: 64) == (.max, true))
        #expect(Bits.saturatingAdd(.min, -1, width: 64) == (.min, true))
        #expect(Bits.saturatingAdd(.min, .max, width: 64) == (-1, false))
        #expect(Bits.saturatingAdd(100, 100, width: 8) == (127, true))
    }

    @Test func signExtensionAndWidths() {
        #expect(Bits.signExtend(0x80, width: 8) == -128)
        #expect(Bits.signExtend(0x7F, width: 8) == 127)
        #expect(Bits.raw(-1, width: 4) == 0xF)
        #expect(Bits.addressWidth(1) == 1 && Bits.addressWidth(2) == 1 && Bits.addressWidth(3) == 2 && Bits.addressWidth(256) == 8 && Bits.addressWidth(257) == 9)
        #expect(Bits.widthFor(1) == 1 && Bits.widthFor(4) == 3 && Bits.widthFor(8) == 4)
    }

    @Test func splitMixIsReproducible() {
        var a = SplitMix64(seed: 5), b = SplitMix64(seed: 5)
        #expect((0 ..< 100).map { _ in a.next() } == (0 ..< 100).map { _ in b.next() })
        var c = SplitMix64(seed: 0)
        #expect(c.next() == 0xE220_A839_7B1D_CDAF)
    }

    /// The widths equal the defining loops wherever those end, and end for every `Int` (a model
    /// bias of 2^62 once hung `eval` in the loop).
    @Test func widthsHaveAClosedFormForEveryInt() {
        func loopWidth(_ v: Int) -> Int { var w = 1; while (1 << w) <= v { w += 1 }; return w }
        func loopAddress(_ n: Int) -> Int { var w = 1; while (1 << w) < n { w += 1 }; return w }
        for v in -3 ... 70_000 {
            #expect(Bits.widthFor(v) == loopWidth(v) && Bits.addressWidth(v) == loopAddress(v), "value \(v)")
        }
        for k in 2 ... 61 {
            for v in [(1 << k) - 1, 1 << k, (1 << k) + 1] { #expect(Bits.widthFor(v) == loopWidth(v) && Bits.addressWidth(v) == loopAddress(v), "value \(v)") }
        }
        #expect(Bits.widthFor(1 << 62) == 63 && Bits.widthFor(Int.max) == 63)
        #expect(Bits.addressWidth(1 << 62) == 62 && Bits.addressWidth((1 << 62) + 1) == 63 && Bits.addressWidth(Int.max) == 63)
    }
}
