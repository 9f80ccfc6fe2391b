import SpikeForgeCLI
import SpikeForgeCore
import Testing

/// `spikeforge blocks [<block>]`: every block, and each block's fields from its field table.
@Suite struct BlocksTests {
    @Test func listsEveryBlock() throws {
        let t = try Blocks.text(nil)
        for b in Catalog.blocks { #expect(t.contains("\n\(b.name) "), "\(b.name) missing") }
        #expect(t.contains("\nsystem "))
    }

    @Test func listsEveryFieldWithDefaultAndRange() throws {
        for b in Catalog.blocks.map(\.name) + ["system"] {
            let t = try Blocks.text(b)
            let listing = b == "system" ? ConfigFieldListing.of(SystemConfig.self) : Catalog.blocks.first { $0.name == b }!.fields
            #expect(!listing.isEmpty)
            for l in listing {
                let line = t.split(separator: "\n").first { $0.hasPrefix(l.field.name + " ") }
                #expect(line != nil, "\(b): no line for \(l.field.name)")
                if let line {
                    #expect(line.contains(" \(l.defaultValue) ") && line.contains(l.field.allowed), "\(b): \(line)")
                }
            }
        }
        let pe = try Blocks.text("pe")
        #expect(pe.contains("lanes") && pe.contains("1...16") && pe.contains("a power of two in 2...65536"))
    }

    @Test func unknownBlockNamesTheKnownOnes() {
        #expect(runCLI(["blocks", "nope"])?.contains("known blocks: satadd") == true)
        #expect(runCLI(["blocks", "nope"])?.contains("system") == true)
        #expect(runCLI(["blocks", "fifo"]) == nil)
    }
}
