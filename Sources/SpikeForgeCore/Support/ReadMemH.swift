import Foundation

/// What is wrong with a `$readmemh` image.
public enum ReadMemHError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String, reason: String)
    case badWord(path: String, line: Int, text: String, width: Int)
    case unsupported(path: String, line: Int, text: String)

    public var description: String {
        switch self {
        case let .unreadable(p, r): return "cannot read '\(p)': \(r)"
        case let .badWord(p, l, t, w): return "\(p):\(l): got '\(t)', expected a hex word of at most \(w) bits"
        case let .unsupported(p, l, t): return "\(p):\(l): '\(t)' is not supported (only words and // comments; no @address)"
        }
    }
}

/// Reads `$readmemh` images as SpikeForge writes them: one hex word per line, `//` comments.
public enum ReadMemH {
    public static func parse(contentsOf path: String, width: Int) throws(ReadMemHError) -> [[UInt64]] {
        // One line per word: the hex digits, a newline, and room for comments.
        let limit = min(1 << 30, 1 << 20 + (1 << 20) * ((width + 3) / 4 + 2))
        let data: Data
        do { data = try FileRead.bounded(URL(fileURLWithPath: path), limit: limit) } catch { throw .unreadable(path: path, reason: error.reason) }
        return try parse(String(decoding: data, as: UTF8.self), width: width, path: path)
    }

    public static func parse(_ text: String, width: Int, path: String = "<memory>") throws(ReadMemHError) -> [[UInt64]] {
        var out: [[UInt64]] = []
        let words = (width + 63) / 64
        for (n, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let c = line.range(of: "//") { line = line[..<c.lowerBound] }
            for tok in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
                if tok.hasPrefix("@") { throw .unsupported(path: path, line: n + 1, text: String(tok)) }
                let digits = tok.replacingOccurrences(of: "_", with: "")
                guard !digits.isEmpty, digits.allSatisfy(\.isHexDigit), digits.count <= (width + 3) / 4 else {
                    throw .badWord(path: path, line: n + 1, text: String(tok), width: width)
                }
                var value = Array(repeating: UInt64(0), count: words)
                for (k, ch) in digits.reversed().enumerated() {
                    value[k / 16] |= UInt64(ch.hexDigitValue!) << UInt64((k % 16) * 4)
                }
                if width % 64 != 0, value[words - 1] >> UInt64(width % 64) != 0 {
                    throw .badWord(path: path, line: n + 1, text: String(tok), width: width)
                }
                out.append(value)
            }
        }
        return out
    }

    /// Formats words as a `$readmemh` image, one zero-padded hex word per line.
    public static func format(_ words: [[UInt64]], width: Int) -> String {
        let digits = (width + 3) / 4
        return words.map { w -> String in
            let s = w.reversed().map { x -> String in
                let h = String(x, radix: 16)
                return String(repeating: "0", count: 16 - h.count) + h
            }.joined()
            return String(s.suffix(digits)) + "\n"
        }.joined()
    }
}
