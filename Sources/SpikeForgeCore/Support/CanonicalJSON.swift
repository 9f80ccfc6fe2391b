import Foundation

/// JSON with sorted keys and no escaping surprises, so the same value always gives the same
/// bytes: what file headers, cache keys and `config.json` need.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}
