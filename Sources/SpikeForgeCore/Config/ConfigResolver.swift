import Foundation

/// Builds a block configuration from a base (its default unless given), an optional JSON file
/// and `key=value` overrides, in that order. Unknown keys and unparsable values are all reported
/// together; then `validate()` reports every range violation (unless `validating` is false:
/// callers that still choose some fields validate the finished configuration themselves).
public enum ConfigResolver {
    public static func resolve<C: BlockConfig>(_: C.Type, base: C? = nil, file: String? = nil, overrides: [String] = [],
                                               validating: Bool = true) throws(ConfigError) -> C {
        let block = String(describing: C.self)
        guard let defaultData = try? JSONEncoder().encode(base ?? C.defaultConfig),
              var dict = (try? JSONSerialization.jsonObject(with: defaultData)) as? [String: Any]
        else { throw .badFile(path: "<default>", reason: "cannot encode the default \(block)") }
        let known = dict.keys.sorted()
        var violations: [ConfigViolation] = []

        func apply(_ key: String, _ value: Any, from source: String) {
            guard let current = dict[key] else {
                violations.append(.init(field: key, value: "\(value)", expected: "one of the fields \(known.joined(separator: ", ")) (from \(source))"))
                return
            }
            if let choices = C.fieldChoices[key], let parsed = coerce(value, like: current) as? String, !choices.contains(parsed) {
                violations.append(.init(field: key, value: "\(value)", expected: "one of \(choices.joined(separator: ", ")) (from \(source))"))
            } else if let parsed = coerce(value, like: current) {
                dict[key] = parsed
            } else {
                violations.append(.init(field: key, value: "\(value)", expected: "\(typeName(current)) (from \(source))"))
            }
        }

        if let path = file {
            let data: Data
            do { data = try FileRead.bounded(URL(fileURLWithPath: path), limit: JSONDocument.maxBytes) } catch { throw .badFile(path: path, reason: error.reason) }
            let obj: Any
            do { obj = try JSONSerialization.jsonObject(with: data) } catch { throw .badFile(path: path, reason: "not valid JSON") }
            guard let o = obj as? [String: Any] else { throw .badFile(path: path, reason: "expected a JSON object of fields") }
            for k in o.keys.sorted() { apply(k, o[k]!, from: path) }
        }
        for o in overrides {
            guard let eq = o.firstIndex(of: "="), eq != o.startIndex else {
                violations.append(.init(field: o, value: o, expected: "key=value (from --set)"))
                continue
            }
            apply(String(o[..<eq]), String(o[o.index(after: eq)...]), from: "--set")
        }
        // Fields that could not be applied kept their defaults; range-check the rest now so that
        // one error lists every problem.
        let config: C
        do {
            config = try JSONDecoder().decode(C.self, from: JSONSerialization.data(withJSONObject: dict))
        } catch {
            throw .badValue(block: block, key: "?", value: "\(dict)", expected: "a decodable \(block): \(error)")
        }
        do {
            if validating { try config.validate() }
        } catch let ConfigError.invalid(_, more) {
            violations += more
        } catch {
            throw error
        }
        if !violations.isEmpty { throw .invalid(block: block, violations: violations) }
        return config
    }

    /// JSON booleans arrive as NSNumber subclasses that also claim to be `Int`; tell them apart.
    private static func isJSONBool(_ v: Any) -> Bool { v is Bool && !(type(of: v) == NSNumber.self) }

    private static func typeName(_ v: Any) -> String {
        if isJSONBool(v) { return "true or false" }
        if v is NSNumber { return "an integer" }
        return "a string"
    }

    /// `value` converted to the JSON type of `like`, or nil.
    private static func coerce(_ value: Any, like: Any) -> Any? {
        let isBool = isJSONBool(like)
        if let s = value as? String {
            if like is String { return s }
            if isBool { return s == "true" ? true : s == "false" ? false : nil }
            if like is NSNumber { return Int(s) }
            return nil
        }
        if let n = value as? NSNumber {
            let nIsBool = isJSONBool(n)
            if isBool { return nIsBool ? n.boolValue : nil }
            if like is NSNumber, !nIsBool, n.doubleValue == Double(n.intValue) { return n.intValue }
            return nil
        }
        return nil
    }
}
