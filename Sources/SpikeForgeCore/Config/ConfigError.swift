/// One thing wrong with a configuration: which field, what it held, what was expected.
public struct ConfigViolation: Hashable, Sendable, CustomStringConvertible {
    public var field: String
    public var value: String
    public var expected: String

    public init(field: String, value: String, expected: String) {
        self.field = field
        self.value = value
        self.expected = expected
    }

    public var description: String { "\(field): got \(value), expected \(expected)" }
}

/// A configuration that cannot be built. Every violation is listed, never only the first.
public enum ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `block` names the configuration type, e.g. `FIFOConfig`.
    case invalid(block: String, violations: [ConfigViolation])
    /// A `--set key=value` or JSON key that the block does not have.
    case unknownKey(block: String, key: String, known: [String])
    /// A value that could not be parsed as the field's type.
    case badValue(block: String, key: String, value: String, expected: String)
    /// A configuration file that could not be read or is not a JSON object.
    case badFile(path: String, reason: String)

    /// The violations this error lists (one for the single-problem cases).
    public var violations: [ConfigViolation] {
        switch self {
        case let .invalid(_, v): return v
        case let .unknownKey(_, key, known): return [.init(field: key, value: key, expected: "one of \(known.joined(separator: ", "))")]
        case let .badValue(_, key, value, expected): return [.init(field: key, value: value, expected: expected)]
        case let .badFile(path, reason): return [.init(field: "file", value: path, expected: reason)]
        }
    }

    public var description: String {
        switch self {
        case let .invalid(block, violations):
            let n = violations.count
            return "invalid \(block) (\(n) violation\(n == 1 ? "" : "s")):\n"
                + violations.map { "  - \($0)" }.joined(separator: "\n")
        case let .unknownKey(block, key, known):
            return "\(block) has no field '\(key)'; known fields: \(known.joined(separator: ", "))"
        case let .badValue(block, key, value, expected):
            return "\(block).\(key): got '\(value)', expected \(expected)"
        case let .badFile(path, reason):
            return "cannot use configuration file '\(path)': \(reason)"
        }
    }
}

/// Collects violations while a `validate()` walks its fields, then throws them all at once.
public struct ViolationCollector {
    public private(set) var violations: [ConfigViolation] = []
    public let block: String

    public init(block: String) { self.block = block }

    public mutating func check(_ field: String, _ value: Int, in range: ClosedRange<Int>) {
        if !range.contains(value) {
            violations.append(.init(field: field, value: "\(value)", expected: "\(range.lowerBound)...\(range.upperBound)"))
        }
    }

    /// Adds violations found by another check of the same block.
    public mutating func append(_ more: [ConfigViolation]) { violations += more }

    public mutating func require(_ ok: Bool, field: String, value: String, expected: String) {
        if !ok { violations.append(.init(field: field, value: value, expected: expected)) }
    }

    public func finish() throws(ConfigError) {
        if !violations.isEmpty { throw ConfigError.invalid(block: block, violations: violations) }
    }
}
