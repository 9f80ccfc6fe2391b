/// Plain-text tables with columns lined up.
public enum Table {
    public static func render(_ rows: [[String]]) -> String {
        let widths = (0 ..< (rows.map(\.count).max() ?? 0)).map { c in rows.map { c < $0.count ? $0[c].count : 0 }.max() ?? 0 }
        return rows.enumerated().map { i, r in
            let line = r.enumerated().map { c, cell in cell + String(repeating: " ", count: widths[c] - cell.count) }.joined(separator: "  ")
            let trimmed = line.trailingSpacesTrimmed
            return i == 0 ? trimmed + "\n" + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") : trimmed
        }.joined(separator: "\n")
    }
}

extension String {
    var trailingSpacesTrimmed: String {
        var s = Substring(self)
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
