import Foundation
import SpikeForgeCore
import Testing

/// docs/PACKETS.md stays true: each table's bit ranges are `PacketLayout`'s fields, in order
/// (64-bit flits; `F-1` is bit 63; "reserved" rows are the gaps).
@Suite struct PacketDocsTests {
    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The `| hi:lo | … |` rows of the table under the heading that starts with `heading`.
    static func rows(_ doc: String, heading: String) -> [(hi: Int, lo: Int, text: String)] {
        let lines = doc.components(separatedBy: "\n")
        guard let h = lines.firstIndex(where: { $0.hasPrefix("#") && $0.contains(heading) }) else { return [] }
        var out: [(Int, Int, String)] = []
        for line in lines[(h + 1)...] {
            if line.hasPrefix("#") { break }
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let bits = cells[0].replacingOccurrences(of: "F-1", with: "63").split(separator: ":").compactMap { Int($0) }
            guard !bits.isEmpty else { continue }
            out.append((bits[0], bits.count > 1 ? bits[1] : bits[0], cells[1]))
        }
        return out
    }

    @Test func tablesMatchTheLayout() throws {
        let doc = try String(contentsOf: Self.repo.appendingPathComponent("docs/PACKETS.md"), encoding: .utf8)
        typealias L = PacketLayout
        let tables: [(String, [BitField])] = [
            ("Routing header", L.Header.fields), ("Spike (type 0)", L.Spike.fields),
            ("Configuration write (type 1)", L.ConfigWrite.fields(flitWidth: 64)), ("Read request (type 2)", L.ReadRequest.fields),
            ("Read response (type 3)", L.ReadResponse.fields(partBits: L.partBits(flitWidth: 64))), ("Control (type 4)", L.Control.fields),
        ]
        for (heading, fields) in tables {
            let documented = Self.rows(doc, heading: heading).filter { !$0.text.hasPrefix("reserved") }
            #expect(documented.count == fields.count, "\(heading): \(documented.count) rows documented, layout has \(fields)")
            for (row, f) in zip(documented, fields.sorted { $0.lo < $1.lo }) {
                // The read response's data is `partBits` wide, documented as zero-extended to the top.
                let hiOK = row.hi == f.hi || (f.name == "data" && row.hi == 63 && f.hi < 63)
                #expect(row.lo == f.lo && hiOK, "\(heading): docs say \(row.hi):\(row.lo) (\(row.text.prefix(30))…), layout \(f)")
            }
        }
    }
}
