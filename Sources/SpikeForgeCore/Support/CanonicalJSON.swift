import Foundation

/// JSON with sorted keys and no escaping surprises, so the same value always gives the same
/// bytes: what file headers, cache keys and `config.json` need.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T, pretty: Bool = false) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        e.userInfo[.canonicalJSON] = true
        return String(decoding: try e.encode(value), as: UTF8.self)
    }
}

extension CodingUserInfoKey {
    /// Set (to `true`) by `CanonicalJSON`. A type whose format gained a field with a default may
    /// leave that field out while it holds the default, so files and RTL headers written before
    /// the field existed keep their bytes (`PEConfig.maxKernel`); its decoder must then accept
    /// the field's absence, and the decoding layer list it as optional.
    public static let canonicalJSON = CodingUserInfoKey(rawValue: "SpikeForge.canonicalJSON")!
}
