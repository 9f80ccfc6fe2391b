import CZlib
import Foundation
import SpikeForgeCore

/// What is wrong with a dataset file.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case decompress(path: String, reason: String)
    case malformed(path: String, reason: String)
    /// The image and label files hold different numbers of items.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// The file is valid but holds no items.
    case empty(path: String)

    public var description: String {
        switch self {
        case let .missing(p): return "dataset file '\(p)' not found"
        case let .decompress(p, r): return "cannot decompress '\(p)': \(r)"
        case let .malformed(p, r): return "'\(p)' is not a valid IDX file: \(r)"
        case let .countMismatch(i, ic, l, lc):
            return "'\(i)' holds \(ic) images but '\(l)' holds \(lc) labels; expected equal counts"
        case let .empty(p): return "'\(p)' holds no images; expected at least one"
        }
    }
}

/// An IDX tensor of unsigned bytes (the MNIST format): dimensions and data.
public struct IDXArray: Sendable {
    public var dimensions: [Int]
    public var data: [UInt8]
}

/// Reads IDX files, raw or gzip-compressed (through zlib).
public enum IDX {
    public static func read(_ path: String) throws(DatasetError) -> IDXArray {
        guard let raw = FileManager.default.contents(atPath: path) else { throw .missing(path: path) }
        let bytes = raw.starts(with: [0x1F, 0x8B]) ? try gunzip(raw, path: path) : [UInt8](raw)
        return try parse(bytes, path: path)
    }

    public static func parse(_ b: [UInt8], path: String) throws(DatasetError) -> IDXArray {
        guard b.count >= 4, b[0] == 0, b[1] == 0 else {
            let got = b.prefix(4).map { String(format: "%02x", $0) }.joined()
            throw .malformed(path: path, reason: "bad magic number 0x\(got), expected 0x000008nn (unsigned-byte IDX)")
        }
        guard b[2] == 0x08 else { throw .malformed(path: path, reason: "element type 0x\(String(b[2], radix: 16)), expected 0x08 (unsigned byte)") }
        let nd = Int(b[3])
        guard nd >= 1, b.count >= 4 + 4 * nd else { throw .malformed(path: path, reason: "truncated header") }
        var dims: [Int] = []
        for k in 0 ..< nd {
            let o = 4 + 4 * k
            dims.append(Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]))
        }
        let start = 4 + 4 * nd
        guard let n = CheckedArithmetic.product(dims) else {
            throw .malformed(path: path, reason: "dimensions \(dims) describe more elements than a file can hold (\(b.count - start) data bytes)")
        }
        guard b.count - start == n else { throw .malformed(path: path, reason: "\(b.count - start) data bytes, expected \(n) for dimensions \(dims)") }
        return IDXArray(dimensions: dims, data: Array(b[start...]))
    }

    /// Inflates gzip data with zlib.
    public static func gunzip(_ data: Data, path: String) throws(DatasetError) -> [UInt8] {
        var out = [UInt8]()
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .decompress(path: path, reason: "inflateInit failed")
        }
        defer { inflateEnd(&stream) }
        var input = [UInt8](data)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var status: Int32 = Z_OK
        input.withUnsafeMutableBufferPointer { inp in
            stream.next_in = inp.baseAddress
            stream.avail_in = uInt(inp.count)
            repeat {
                chunk.withUnsafeMutableBufferPointer { c in
                    stream.next_out = c.baseAddress
                    stream.avail_out = uInt(c.count)
                    status = inflate(&stream, Z_NO_FLUSH)
                    out.append(contentsOf: c[0 ..< (c.count - Int(stream.avail_out))])
                }
            } while status == Z_OK
        }
        switch status {
        case Z_STREAM_END: return out
        case Z_BUF_ERROR: throw .decompress(path: path, reason: "truncated gzip stream (ended after \(out.count) bytes of output)")
        case Z_DATA_ERROR:
            let msg = stream.msg.map { String(cString: $0) } ?? "invalid data"
            throw .decompress(path: path, reason: "corrupted gzip data (\(msg))")
        default: throw .decompress(path: path, reason: "zlib status \(status)")
        }
    }
}
