import SpikeForgeCore
import Testing

@Suite struct ReadMemHTests {
    @Test func roundTripsWideWords() throws {
        let words: [[UInt64]] = [[0x1, 0x0], [~0, 0x3], [0xDEAD_BEEF, 0x2]]
        let text = ReadMemH.format(words, width: 66)
        #expect(text.split(separator: "\n").first == "00000000000000001")
        #expect(try ReadMemH.parse(text, width: 66) == words)
    }

    @Test func commentsAndUnderscores() throws {
        #expect(try ReadMemH.parse("// header\nff_ff // word 0\n\n0001\n", width: 16) == [[0xFFFF], [1]])
    }

    @Test func badInputIsNamedWithItsLine() {
        #expect(throws: ReadMemHError.badWord(path: "<memory>", line: 2, text: "1ff", width: 8)) { try ReadMemH.parse("00\n1ff\n", width: 8) }
        #expect(throws: ReadMemHError.badWord(path: "<memory>", line: 1, text: "xyz", width: 8)) { try ReadMemH.parse("xyz", width: 8) }
        #expect(throws: ReadMemHError.unsupported(path: "<memory>", line: 1, text: "@10")) { try ReadMemH.parse("@10 00", width: 8) }
        #expect(ReadMemHError.badWord(path: "w.hex", line: 3, text: "zz", width: 8).description == "w.hex:3: got 'zz', expected a hex word of at most 8 bits")
    }
}
