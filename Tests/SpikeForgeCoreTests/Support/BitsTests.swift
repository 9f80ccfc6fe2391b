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
}
