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
        return try data.withUnsafeBytes { raw in Result { () throws(ReadMemHError) in try parse(raw.bindMemory(to: UInt8.self), width: width, path: path) } }.get()
    }

    public static func parse(_ text: String, width: Int, path: String = "<memory>") throws(ReadMemHError) -> [[UInt64]] {
        var text = text
        return try text.withUTF8 { bytes in Result { () throws(ReadMemHError) in try parse(bytes, width: width, path: path) } }.get()
    }

    /// The parser, over the file's bytes: lines end at `\n`, `//` starts a comment, tokens are
    /// separated by spaces, tabs and `\r`, `_` inside a token is ignored, and a token's digits are
    /// ASCII hex digits (at most `(width + 3) / 4` of them, the value within `width` bits).
    static func parse(_ b: UnsafeBufferPointer<UInt8>, width: Int, path: String) throws(ReadMemHError) -> [[UInt64]] {
        var out: [[UInt64]] = []
        let words = (width + 63) / 64, maxDigits = (width + 3) / 4
        var digits: [UInt8] = []
        var i = 0, line = 1
        let n = b.count
        func token(_ from: Int, _ to: Int) -> String { String(decoding: UnsafeBufferPointer(rebasing: b[from ..< to]), as: UTF8.self) }
        while i < n {
            let c = b[i]
            if c == UInt8(ascii: "\n") {
                line += 1
                i += 1
            } else if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                i += 1
            } else if c == UInt8(ascii: "/") && i + 1 < n && b[i + 1] == UInt8(ascii: "/") {
                while i < n && b[i] != UInt8(ascii: "\n") { i += 1 }
            } else {
                // One token: up to white space, a newline or a comment.
                let start = i
                while i < n, b[i] != UInt8(ascii: "\n"), b[i] != UInt8(ascii: " "), b[i] != UInt8(ascii: "\t"), b[i] != UInt8(ascii: "\r"),
                      !(b[i] == UInt8(ascii: "/") && i + 1 < n && b[i + 1] == UInt8(ascii: "/")) { i += 1 }
                if c == UInt8(ascii: "@") { throw .unsupported(path: path, line: line, text: token(start, i)) }
                digits.removeAll(keepingCapacity: true)
                var ok = true
                for k in start ..< i where b[k] != UInt8(ascii: "_") {
                    guard let d = hexValue(b[k]) else { ok = false; break }
                    digits.append(d)
                }
                guard ok, !digits.isEmpty, digits.count <= maxDigits else { throw .badWord(path: path, line: line, text: token(start, i), width: width) }
                var value = [UInt64](repeating: 0, count: words)
                for (k, d) in digits.reversed().enumerated() { value[k / 16] |= UInt64(d) << UInt64((k % 16) * 4) }
                if width % 64 != 0, value[words - 1] >> UInt64(width % 64) != 0 {
                    throw .badWord(path: path, line: line, text: token(start, i), width: width)
                }
                out.append(value)
            }
        }
        return out
    }

    @inline(__always) static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0") ... UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a") ... UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A") ... UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
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
