import CZlib
import Foundation

/// What is wrong with a dataset file.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case decompress(path: String, reason: String)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(p): return "dataset file '\(p)' not found"
        case let .decompress(p, r): return "cannot decompress '\(p)': \(r)"
        case let .malformed(p, r): return "'\(p)' is not a valid IDX file: \(r)"
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
        guard b.count >= 4, b[0] == 0, b[1] == 0 else { throw .malformed(path: path, reason: "bad magic number") }
        guard b[2] == 0x08 else { throw .malformed(path: path, reason: "element type 0x\(String(b[2], radix: 16)), expected 0x08 (unsigned byte)") }
        let nd = Int(b[3])
        guard nd >= 1, b.count >= 4 + 4 * nd else { throw .malformed(path: path, reason: "truncated header") }
        var dims: [Int] = []
        for k in 0 ..< nd {
            let o = 4 + 4 * k
            dims.append(Int(b[o]) << 24 | Int(b[o + 1]) << 16 | Int(b[o + 2]) << 8 | Int(b[o + 3]))
        }
        let n = dims.reduce(1, *)
        let start = 4 + 4 * nd
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
        guard status == Z_STREAM_END else { throw .decompress(path: path, reason: "zlib status \(status)") }
        return out
    }
}

/// MNIST from a directory holding the four standard IDX files (raw or `.gz`).
public struct MNIST: Sendable {
    public var images: [[UInt8]]
    public var labels: [UInt8]

    /// `split`: "train" or "t10k".
    public static func load(directory: String, split: String = "t10k", limit: Int? = nil) throws(DatasetError) -> MNIST {
        func find(_ stem: String) throws(DatasetError) -> String {
            for name in ["\(stem).gz", stem] {
                let p = (directory as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw .missing(path: (directory as NSString).appendingPathComponent("\(stem)[.gz]"))
        }
        let imgPath = try find("\(split)-images-idx3-ubyte")
        let lblPath = try find("\(split)-labels-idx1-ubyte")
        let img = try IDX.read(imgPath)
        let lbl = try IDX.read(lblPath)
        guard img.dimensions.count == 3, lbl.dimensions.count == 1, img.dimensions[0] == lbl.dimensions[0] else {
            throw .malformed(path: imgPath, reason: "dimensions \(img.dimensions) do not match labels \(lbl.dimensions)")
        }
        let n = min(img.dimensions[0], limit ?? .max)
        let size = img.dimensions[1] * img.dimensions[2]
        return MNIST(images: (0 ..< n).map { Array(img.data[$0 * size ..< ($0 + 1) * size]) }, labels: Array(lbl.data.prefix(n)))
    }
}
