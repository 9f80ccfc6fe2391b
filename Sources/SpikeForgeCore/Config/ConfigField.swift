import Foundation

/// One field of a block configuration, as `--set name=value` and the JSON files name it: the
/// rule `validate()` checks on it alone, declared once. `validate()` checks the field through
/// `ViolationCollector.check(_:_:)`, and `spikeforge blocks <block>` lists the same values
/// (`ConfigFieldListing`), so the listing cannot drift from validation.
public struct ConfigField: Sendable, Hashable {
    public enum Rule: Sendable, Hashable {
        /// An integer in the range.
        case range(ClosedRange<Int>)
        /// A power of two in the range.
        case powerOfTwo(ClosedRange<Int>)
        /// One of these strings.
        case choice([String])
        /// true or false.
        case flag
        /// Any string; `requirement` says what it must be (checked by `validate()` itself).
        case text(requirement: String)
    }

    public let name: String
    public let rule: Rule
    /// Why the range is what it is, appended to the violation ("2...64 (valid/ready ...)").
    public let why: String
    /// What `validate()` also requires of this field together with other fields, in words
    /// ("at least max(wBits, thresholdBits + 1) + 1"): listed, checked by `validate()` itself.
    public let also: String

    public init(_ name: String, _ rule: Rule, why: String = "", also: String = "") {
        self.name = name
        self.rule = rule
        self.why = why
        self.also = also
    }

    /// The same field under another name (`pe.lanes` for the system's PE).
    public func renamed(_ newName: String) -> ConfigField { ConfigField(newName, rule, why: why, also: also) }

    /// The integer range of a `.range` or `.powerOfTwo` field.
    public var bounds: ClosedRange<Int>? {
        switch rule {
        case let .range(r), let .powerOfTwo(r): return r
        case .choice, .flag, .text: return nil
        }
    }

    /// The type, as listed.
    public var typeName: String {
        switch rule {
        case .range, .powerOfTwo: return "int"
        case .choice: return "choice"
        case .flag: return "bool"
        case .text: return "string"
        }
    }

    /// What the field's own rule allows, as a violation states it (`expected`).
    public var allowed: String {
        let base: String
        switch rule {
        case let .range(r): base = "\(r.lowerBound)...\(r.upperBound)"
        case let .powerOfTwo(r): base = "a power of two in \(r.lowerBound)...\(r.upperBound)"
        case let .choice(c): base = "one of \(c.joined(separator: ", "))"
        case .flag: base = "true or false"
        case let .text(req): base = req
        }
        return why.isEmpty ? base : "\(base) (\(why))"
    }

    /// Whether `value` satisfies an integer field's own rule (true for other kinds).
    public func accepts(_ value: Int) -> Bool {
        switch rule {
        case let .range(r): return r.contains(value)
        case let .powerOfTwo(r): return r.contains(value) && value & (value - 1) == 0
        case .choice, .flag, .text: return true
        }
    }
}

extension ViolationCollector {
    /// Checks an integer field against its declared rule (`ConfigField`).
    public mutating func check(_ field: ConfigField, _ value: Int) {
        require(field.accepts(value), field: field.name, value: "\(value)", expected: field.allowed)
    }
}

/// One line of `spikeforge blocks <block>`: a field with its type, default and allowed values.
public struct ConfigFieldListing: Sendable, Hashable {
    public var field: ConfigField
    /// The default configuration's value, as JSON writes it.
    public var defaultValue: String

    /// Every field of `C`, with `C.defaultConfig`'s values (dotted names reach into nested
    /// objects: `pe.lanes`).
    public static func of<C: BlockConfig>(_: C.Type) -> [ConfigFieldListing] {
        let json = (try? JSONEncoder().encode(C.defaultConfig)).flatMap { try? JSONSerialization.jsonObject(with: $0) }
        return C.fields.map { f in
            var node: Any? = json
            for part in f.name.split(separator: ".") { node = (node as? [String: Any])?[String(part)] }
            return ConfigFieldListing(field: f, defaultValue: node.map(Self.text) ?? "?")
        }
    }

    static func text(_ v: Any) -> String {
        if let s = v as? String { return s.isEmpty ? "\"\"" : s }
        if let n = v as? NSNumber {
            if v is Bool && !(type(of: v) == NSNumber.self) { return n.boolValue ? "true" : "false" }
            return "\(n.intValue)"
        }
        return "\(v)"
    }
}
