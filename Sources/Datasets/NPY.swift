import Foundation
import SpikeForgeCore

/// What is wrong with a NumPy `.npy` file.
public enum NPYError: Error, Equatable, CustomStringConvertible {
    case malformed(path: String, reason: String)
    case unsupported(path: String, reason: String)
    /// A value does not fit the element type it is written as.
    case outOfRange(path: String, value: String, dtype: String)

    public var description: String {
        switch self {
        case let .malformed(p, r): return "'\(p)' is not a valid .npy file: \(r)"
        case let .unsupported(p, r): return "'\(p)': \(r)"
        case let .outOfRange(p, v, d): return "'\(p)': value \(v) does not fit dtype \(d)"
        }
    }
}

/// Element types SpikeForge reads and writes: little-endian integers and IEEE floats.
public enum NPYDType: String, Sendable, CaseIterable, Codable {
    case int8 = "i1", uint8 = "u1", int16 = "i2", int32 = "i4", int64 = "i8", float32 = "f4", float64 = "f8"
    case uint16 = "u2", uint32 = "u4", uint64 = "u8"

    public var size: Int {
        switch self {
        case .int8, .uint8: return 1
        case .int16, .uint16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    public var isFloat: Bool { self == .float32 || self == .float64 }

    /// The NumPy `descr` string.
    public var descr: String { size == 1 ? "|\(rawValue)" : "<\(rawValue)" }

    /// The inclusive range of an integer type.
    public var range: ClosedRange<Int64> {
        switch self {
        case .int8: return -128 ... 127
        case .uint8: return 0 ... 255
        case .int16: return -32768 ... 32767
        case .int32: return Int64(Int32.min) ... Int64(Int32.max)
        case .uint16: return 0 ... Int64(UInt16.max)
        case .uint32: return 0 ... Int64(UInt32.max)
        // Values are held as Int64: a uint64 above Int64.max is refused on reading.
        case .uint64: return 0 ... Int64.max
        default: return .min ... .max
        }
    }

    /// The smallest signed integer type that holds every value of `range`.
    public static func smallestSigned(covering range: ClosedRange<Int64>) -> NPYDType {
        for t in [NPYDType.int8, .int16, .int32] where t.range.contains(range.lowerBound) && t.range.contains(range.upperBound) { return t }
        return .int64
    }
}

/// A NumPy array: C-order shape, element type and values. Integer types keep exact `Int64`
/// values; float types keep `Double`.
public struct NPYArray: Sendable, Equatable {
    public var shape: [Int]
    public var dtype: NPYDType
    public var integers: [Int64]
    public var floats: [Double]

    public var count: Int { shape.reduce(1, *) }

    public init(shape: [Int], dtype: NPYDType, integers: [Int64]) {
        precondition(!dtype.isFloat && integers.count == shape.reduce(1, *))
        self.shape = shape
        self.dtype = dtype
        self.integers = integers
        floats = []
    }

    public init(shape: [Int], dtype: NPYDType, floats: [Double]) {
        precondition(dtype.isFloat && floats.count == shape.reduce(1, *))
        self.shape = shape
        self.dtype = dtype
        self.floats = floats
        integers = []
    }
}

/// Reads and writes the NumPy `.npy` format (versions 1.0–3.0, C or Fortran order on read;
/// version 1.0, C order on write), so weights go to and come from Python tools.
public enum NPY {
    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    public static func encode(_ a: NPYArray, path: String = "<memory>") throws(NPYError) -> Data {
        let shape = a.shape.count == 1 ? "(\(a.shape[0]),)" : "(" + a.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(a.dtype.descr)', 'fortran_order': False, 'shape': \(shape), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        var out = Data(magic + [1, 0])
        let hl = UInt16(header.utf8.count)
        out.append(contentsOf: [UInt8(hl & 0xFF), UInt8(hl >> 8)])
        out.append(contentsOf: Array(header.utf8))
        out.reserveCapacity(out.count + a.count * a.dtype.size)
        if a.dtype.isFloat {
            for v in a.floats {
                if a.dtype == .float32 { withUnsafeBytes(of: Float(v).bitPattern.littleEndian) { out.append(contentsOf: $0) } }
                else { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
            }
        } else {
            let r = a.dtype.range
            var bytes = [UInt8](repeating: 0, count: a.count * a.dtype.size)
            for (i, v) in a.integers.enumerated() {
                guard r.contains(v) else { throw .outOfRange(path: path, value: String(v), dtype: a.dtype.descr) }
                let u = UInt64(bitPattern: v)
                for k in 0 ..< a.dtype.size { bytes[i * a.dtype.size + k] = UInt8(truncatingIfNeeded: u >> (8 * k)) }
            }
            out.append(contentsOf: bytes)
        }
        return out
    }

    public static func decode(_ data: Data, path: String) throws(NPYError) -> NPYArray {
        let b = [UInt8](data)
        guard b.count >= 10, Array(b[0 ..< 6]) == magic else { throw .malformed(path: path, reason: "missing the \\x93NUMPY magic string") }
        let major = b[6]
        let headerLen: Int, start: Int
        switch major {
        case 1: headerLen = Int(b[8]) | Int(b[9]) << 8; start = 10
        case 2, 3:
            guard b.count >= 12 else { throw .malformed(path: path, reason: "truncated header") }
            headerLen = Int(b[8]) | Int(b[9]) << 8 | Int(b[10]) << 16 | Int(b[11]) << 24; start = 12
        default: throw .unsupported(path: path, reason: "format version \(major).\(b[7]), expected 1.0, 2.0 or 3.0")
        }
        guard b.count >= start + headerLen else { throw .malformed(path: path, reason: "header of \(headerLen) bytes is truncated") }
        guard let header = String(bytes: b[start ..< start + headerLen], encoding: major == 3 ? .utf8 : .isoLatin1) else {
            throw .malformed(path: path, reason: "header is not text")
        }
        guard let descr = field(header, "descr").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\"")) }) else {
            throw .malformed(path: path, reason: "header has no 'descr'")
        }
        guard let fortranText = field(header, "fortran_order") else { throw .malformed(path: path, reason: "header has no 'fortran_order'") }
        guard let shapeText = field(header, "shape") else { throw .malformed(path: path, reason: "header has no 'shape'") }
        let order = descr.first
        let code = String(descr.dropFirst())
        guard let dtype = NPYDType(rawValue: code), order == "<" || order == "|" || order == "=" else {
            throw .unsupported(path: path, reason: "dtype '\(descr)', expected one of \(NPYDType.allCases.map(\.descr).joined(separator: ", ")) (little-endian)")
        }
        var shape: [Int] = []
        for part in shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",") {
            let t = part.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { continue }
            guard let n = Int(t), n >= 0 else { throw .malformed(path: path, reason: "shape \(shapeText) is not a tuple of sizes") }
            shape.append(n)
        }
        let dataStart = start + headerLen
        guard let count = CheckedArithmetic.product(shape), let bytes = CheckedArithmetic.product([count, dtype.size]) else {
            throw .malformed(path: path, reason: "shape \(shape) of \(descr) describes more bytes than a file can hold (\(b.count - dataStart) data bytes)")
        }
        guard b.count - dataStart == bytes else {
            throw .malformed(path: path, reason: "\(b.count - dataStart) data bytes, expected \(count * dtype.size) for shape \(shape) of \(descr)")
        }
        var ints: [Int64] = []
        var floats: [Double] = []
        // Safe: `count` is bounded by the data bytes the file holds.
        if dtype.isFloat { floats.reserveCapacity(count) } else { ints.reserveCapacity(count) }
        for i in 0 ..< count {
            var u: UInt64 = 0
            for k in 0 ..< dtype.size { u |= UInt64(b[dataStart + i * dtype.size + k]) << (8 * k) }
            switch dtype {
            case .int8: ints.append(Int64(Int8(truncatingIfNeeded: u)))
            case .uint8: ints.append(Int64(u))
            case .int16: ints.append(Int64(Int16(truncatingIfNeeded: u)))
            case .int32: ints.append(Int64(Int32(truncatingIfNeeded: u)))
            case .int64: ints.append(Int64(bitPattern: u))
            case .uint16, .uint32: ints.append(Int64(u))
            case .uint64:
                guard u <= UInt64(Int64.max) else { throw .outOfRange(path: path, value: String(u), dtype: descr) }
                ints.append(Int64(u))
            case .float32: floats.append(Double(Float(bitPattern: UInt32(truncatingIfNeeded: u))))
            case .float64: floats.append(Double(bitPattern: u))
            }
        }
        if fortranText.hasPrefix("True"), shape.count > 1 {
            // Column-major on disk: reorder into C order.
            func reorder<T>(_ v: [T]) -> [T] {
                var out = v
                let n = shape.count
                var strides = [Int](repeating: 1, count: n)
                for d in 1 ..< n { strides[d] = strides[d - 1] * shape[d - 1] }
                var idx = [Int](repeating: 0, count: n)
                for c in 0 ..< v.count {
                    var f = 0
                    for d in 0 ..< n { f += idx[d] * strides[d] }
                    out[c] = v[f]
                    var d = n - 1
                    while d >= 0 { idx[d] += 1; if idx[d] < shape[d] { break }; idx[d] = 0; d -= 1 }
                }
                return out
            }
            ints = reorder(ints)
            floats = reorder(floats)
        }
        return dtype.isFloat ? NPYArray(shape: shape, dtype: dtype, floats: floats) : NPYArray(shape: shape, dtype: dtype, integers: ints)
    }

    /// The text of `'key': value` in a header dictionary, up to the next top-level comma.
    static func field(_ header: String, _ key: String) -> String? {
        for quote in ["'", "\""] {
            guard let r = header.range(of: "\(quote)\(key)\(quote)") else { continue }
            var rest = header[r.upperBound...].drop { $0 == " " }
            guard rest.first == ":" else { return nil }
            rest = rest.dropFirst().drop { $0 == " " }
            var depth = 0
            var end = rest.startIndex
            for i in rest.indices {
                let ch = rest[i]
                if ch == "(" { depth += 1 } else if ch == ")" { depth -= 1 }
                if (ch == "," && depth == 0) || ch == "}" { end = i; break }
                end = rest.index(after: i)
            }
            return String(rest[rest.startIndex ..< end]).trimmingCharacters(in: .whitespaces)
        }
        return nil
    }

    public static func read(_ path: String) throws(NPYError) -> NPYArray {
        guard let d = FileManager.default.contents(atPath: path) else { throw .malformed(path: path, reason: "cannot read the file") }
        return try decode(d, path: path)
    }
}
