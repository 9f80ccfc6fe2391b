import Foundation

/// The JSON half of the decoding layer (docs/ARCHITECTURE.md, "Decoding"): every JSON file
/// SpikeForge reads (`system.json`, model and image manifests, configurations) goes through
/// `JSONDocument.decode`, which reports *every* structural problem of the file at once, each
/// with its path, what it held and what was expected, instead of `JSONDecoder`'s first error.
///
/// The shape is taken from an exemplar: a valid value of the type with every optional field
/// present and every array non-empty, encoded the way the file is written. The file must have
/// the exemplar's fields (except the `optional` ones) with the same JSON kinds, no fields the
/// type does not know, and, for the fields in `choices`, one of the allowed strings. Values are
/// range-checked afterwards by the type's own validation.
public enum JSONDocument {
    /// At most this many bytes are read as one JSON document (the largest file SpikeForge
    /// writes is a system file of a 16 × 16 mesh, well under 2 MiB).
    public static let maxBytes = 64 << 20

    /// Decodes `data` as `T`, or lists every problem: structural ones from the exemplar's shape,
    /// and `JSONDecoder`'s own error (with its path) when the shape alone does not explain it.
    public static func decode<T: Decodable, E: Encodable>(_: T.Type, from data: Data, exemplar: E, optional: Set<String> = [],
                                                        choices: [String: [String]] = [:]) -> Result<T, ShapeProblems> {
        if data.count > maxBytes {
            return .failure(ShapeProblems(["the file is \(data.count) bytes, expected at most \(maxBytes) for a JSON document"]))
        }
        let tree: Any
        do { tree = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            return .failure(ShapeProblems(["not valid JSON (\(Self.syntaxProblem(error)))"]))
        }
        var problems: [String] = []
        if let shapeData = try? JSONEncoder().encode(exemplar), let shape = try? JSONSerialization.jsonObject(with: shapeData) {
            var walker = ShapeWalker(optional: optional, choices: choices)
            walker.check(tree, against: shape, at: "")
            problems = walker.problems
        }
        do {
            let value = try JSONDecoder().decode(T.self, from: data)
            return problems.isEmpty ? .success(value) : .failure(ShapeProblems(problems))
        } catch let e as DecodingError {
            return .failure(ShapeProblems(problems.isEmpty ? [describe(e)] : problems))
        } catch {
            return .failure(ShapeProblems(problems.isEmpty ? ["\(error)"] : problems))
        }
    }

    /// `DecodingError` as one line: the field's path, what was wrong, and what was expected.
    public static func describe(_ e: DecodingError) -> String {
        func path(_ p: [CodingKey]) -> String { p.isEmpty ? "the document" : ShapeWalker.join(p.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }) }
        switch e {
        case let .typeMismatch(t, c): return "\(path(c.codingPath)): got a value of another type, expected \(t)"
        case let .valueNotFound(t, c): return "\(path(c.codingPath)): got null, expected \(t)"
        case let .keyNotFound(k, c): return "\(path(c.codingPath + [k])): missing, expected a value"
        case let .dataCorrupted(c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    private static func syntaxProblem(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "a syntax error"
    }
}

/// Every structural problem of one JSON document.
public struct ShapeProblems: Error, Equatable, Sendable {
    public var problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
}

/// Walks a parsed JSON tree beside the exemplar's, collecting problems.
struct ShapeWalker {
    let optional: Set<String>
    let choices: [String: [String]]
    var problems: [String] = []
    /// Enough to explain any file; more would only bury the first ones.
    static let maxProblems = 50

    static func join(_ parts: [String]) -> String {
        var s = ""
        for p in parts { s += p.hasPrefix("[") || s.isEmpty ? p : "." + p }
        return s
    }

    mutating func add(_ p: String) {
        if problems.count < Self.maxProblems { problems.append(p) } else if problems.count == Self.maxProblems { problems.append("… and more") }
    }

    static func kind(_ v: Any) -> String {
        switch v {
        case is NSNull: return "null"
        case let n as NSNumber: return Self.isBool(n) ? "a boolean" : "a number"
        case is String: return "a string"
        case is [Any]: return "an array"
        case is [String: Any]: return "an object"
        default: return "\(type(of: v))"
        }
    }

    /// JSON booleans arrive as NSNumber subclasses that also claim to be numbers.
    static func isBool(_ n: NSNumber) -> Bool { n is Bool && !(type(of: n) == NSNumber.self) }

    static func shown(_ v: Any) -> String {
        switch v {
        case let s as String: return "'\(s.count > 60 ? String(s.prefix(60)) + "…" : s)'"
        case let n as NSNumber: return isBool(n) ? "\(n.boolValue)" : "\(n)"
        default: return kind(v)
        }
    }

    mutating func check(_ value: Any, against shape: Any, at path: String) {
        let here = path.isEmpty ? "the document" : path
        switch shape {
        case let object as [String: Any]:
            guard let got = value as? [String: Any] else { return add("\(here): got \(Self.kind(value)), expected an object") }
            for (key, expected) in object.sorted(by: { $0.key < $1.key }) {
                let sub = Self.join([path, key].filter { !$0.isEmpty })
                if let v = got[key] {
                    if v is NSNull, optional.contains(key) { continue }
                    check(v, against: expected, at: sub)
                } else if !optional.contains(key) {
                    add("\(sub): missing, expected \(Self.kind(expected))")
                }
            }
            for key in got.keys.sorted() where object[key] == nil {
                add("\(Self.join([path, key].filter { !$0.isEmpty })): unknown field, expected one of \(object.keys.sorted().joined(separator: ", "))")
            }
        case let array as [Any]:
            guard let got = value as? [Any] else { return add("\(here): got \(Self.kind(value)), expected an array") }
            guard let element = array.first else { return }
            for (k, v) in got.enumerated() { check(v, against: element, at: path + "[\(k)]") }
        case let n as NSNumber:
            guard let got = value as? NSNumber, Self.isBool(got) == Self.isBool(n) else {
                return add("\(here): got \(Self.shown(value)), expected \(Self.kind(n))")
            }
            // No field of a SpikeForge file needs more than 64 bits; the decoder would reject it
            // without naming the field.
            if !Self.isBool(got), !(abs(got.doubleValue) <= 0x1p63) { add("\(here): got \(got), expected a number within ±2^63") }
        case is String:
            guard let s = value as? String else { return add("\(here): got \(Self.shown(value)), expected a string") }
            let key = path.split(separator: ".").last.map { String($0.prefix { $0 != "[" }) } ?? ""
            if let allowed = choices[key], !allowed.contains(s) { add("\(here): got '\(s)', expected one of \(allowed.joined(separator: ", "))") }
        default:
            break
        }
    }
}

extension JSONDocument {
    /// Where two values differ once encoded, as `path: got A, expected B` (at most `limit`).
    public static func differences(_ got: some Encodable, _ expected: some Encodable, limit: Int) -> [String] {
        let enc = JSONEncoder()
        enc.outputFormatting = .sortedKeys
        guard let a = try? enc.encode(got), let b = try? enc.encode(expected),
              let ta = try? JSONSerialization.jsonObject(with: a), let tb = try? JSONSerialization.jsonObject(with: b)
        else { return ["the two values cannot be encoded for comparison"] }
        var out: [String] = []
        diff(ta, tb, at: "", into: &out, limit: limit)
        return out
    }

    private static func diff(_ a: Any, _ b: Any, at path: String, into out: inout [String], limit: Int) {
        guard out.count < limit else { return }
        let here = path.isEmpty ? "the document" : path
        switch (a, b) {
        case let (x as [String: Any], y as [String: Any]):
            for key in Set(x.keys).union(y.keys).sorted() {
                let sub = ShapeWalker.join([path, key].filter { !$0.isEmpty })
                switch (x[key], y[key]) {
                case let (u?, v?): diff(u, v, at: sub, into: &out, limit: limit)
                case let (u?, nil): out.append("\(sub): got \(ShapeWalker.shown(u)), expected none")
                case let (nil, v?): out.append("\(sub): missing, expected \(ShapeWalker.shown(v))")
                default: break
                }
            }
        case let (x as [Any], y as [Any]):
            if x.count != y.count { return out.append("\(here): got \(x.count) entries, expected \(y.count)") }
            for k in x.indices { diff(x[k], y[k], at: path + "[\(k)]", into: &out, limit: limit) }
        case let (x as NSNumber, y as NSNumber):
            if x != y { out.append("\(here): got \(ShapeWalker.shown(x)), expected \(ShapeWalker.shown(y))") }
        case let (x as String, y as String):
            if x != y { out.append("\(here): got \(ShapeWalker.shown(x)), expected \(ShapeWalker.shown(y))") }
        default:
            out.append("\(here): got \(ShapeWalker.kind(a)), expected \(ShapeWalker.kind(b))")
        }
    }
}
