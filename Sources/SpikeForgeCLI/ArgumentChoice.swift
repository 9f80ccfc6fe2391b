import ArgumentParser
import Testbench

extension EngineSelection: ExpressibleByArgument {}
extension LoadMethod: ExpressibleByArgument {}

/// An option whose value is one case of an enum. Parsing keeps what the user typed, and the
/// command's `validate()` reports a value that is not a case (with the allowed values) beside
/// every other problem, where ArgumentParser alone would stop at the first bad value.
struct Choice<Value: ExpressibleByArgument & CaseIterable & RawRepresentable>: ExpressibleByArgument where Value.RawValue == String {
    let text: String

    init(_ value: Value) { text = value.rawValue }
    init?(argument: String) { text = argument }

    /// The case, or nil when `text` names none.
    var value: Value? { Value(rawValue: text) }
    var defaultValueDescription: String { text }
    static var allValueStrings: [String] { Value.allValueStrings }

    /// The problem with `text` as the value of `--option`, if any.
    func problem(_ option: String) -> String? {
        guard value == nil else { return nil }
        let all = Self.allValueStrings
        let expected = all.count <= 1 ? all.joined() : all.dropLast().joined(separator: ", ") + " or " + all.last!
        return "--\(option): got '\(text)', expected \(expected)"
    }
}
