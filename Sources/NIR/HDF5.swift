import CHDF5
import Foundation

/// An HDF5 file read whole into memory, or built to be written: groups of named datasets. NIR
/// files are small (a network's parameters), so the reader loads every dataset, within limits
/// checked before anything is allocated (`HDF5.Limits`).
public indirect enum H5Node: Sendable, Equatable {
    case group([String: H5Node])
    case dataset(H5Dataset)

    public var children: [String: H5Node]? { if case let .group(c) = self { return c } else { return nil } }
    public var dataset: H5Dataset? { if case let .dataset(d) = self { return d } else { return nil } }
}

/// One dataset: its shape (`[]` for a scalar) and its values, row-major.
public struct H5Dataset: Sendable, Equatable {
    public enum Values: Sendable, Equatable {
        case integers([Int64])
        /// Stored as IEEE binary32 or binary64 (`bits`).
        case floats([Double], bits: Int)
        case strings([String])
    }

    public var shape: [Int]
    public var values: Values

    public init(shape: [Int], values: Values) {
        self.shape = shape
        self.values = values
    }

    public static func string(_ s: String) -> H5Dataset { H5Dataset(shape: [], values: .strings([s])) }
    public static func integer(_ v: Int64) -> H5Dataset { H5Dataset(shape: [], values: .integers([v])) }
    public static func integers(_ v: [Int64], shape: [Int]? = nil) -> H5Dataset { H5Dataset(shape: shape ?? [v.count], values: .integers(v)) }
    public static func floats(_ v: [Double], shape: [Int]? = nil, bits: Int = 64) -> H5Dataset {
        H5Dataset(shape: shape ?? [v.count], values: .floats(v, bits: bits))
    }

    public var count: Int { values.count }
    var asNode: H5Node { .dataset(self) }
    /// The numbers as doubles (integers converted), or nil for strings.
    public var numbers: [Double]? {
        switch values {
        case let .integers(v): return v.map(Double.init)
        case let .floats(v, _): return v
        case .strings: return nil
        }
    }
    public var strings: [String]? { if case let .strings(s) = values { return s } else { return nil } }
    /// "float32 [10, 64]", "int64 scalar", "string [3, 2]": for messages.
    public var typeDescription: String {
        let t: String
        switch values {
        case .integers: t = "integer"
        case let .floats(_, bits): t = "float\(bits)"
        case .strings: t = "string"
        }
        return shape.isEmpty ? "\(t) scalar" : "\(t) \(shape)"
    }
}

extension H5Dataset.Values {
    var count: Int {
        switch self {
        case let .integers(v): return v.count
        case let .floats(v, _): return v.count
        case let .strings(v): return v.count
        }
    }
}

public enum HDF5Error: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case notHDF5(path: String)
    case cannotOpen(path: String)
    /// An object of the file that cannot be read (`object` is its HDF5 path).
    case unreadable(path: String, object: String, reason: String)
    case tooLarge(path: String, object: String, got: String, limit: String)
    case cannotWrite(path: String, object: String)

    public var description: String {
        switch self {
        case let .missing(p): return "\(p): no such file"
        case let .notHDF5(p): return "\(p): not an HDF5 file (a NIR file is HDF5, as `nir.write` makes it)"
        case let .cannotOpen(p): return "\(p): cannot be opened by the HDF5 library (damaged or unreadable)"
        case let .unreadable(p, o, r): return "\(p): \(o): \(r)"
        case let .tooLarge(p, o, got, limit): return "\(p): \(o): \(got), more than the \(limit) SpikeForge reads"
        case let .cannotWrite(p, o): return "\(p): cannot write \(o)"
        }
    }
}

/// Reading and writing through the HDF5 C library. The serial library is not thread-safe, so
/// every call holds one process-wide lock.
public enum HDF5 {
    public struct Limits: Sendable {
        /// Elements of one dataset, and of all datasets together.
        public var datasetElements = 1 << 26
        public var totalElements = 1 << 27
        /// Group nesting, and children of one group.
        public var depth = 16
        public var children = 100_000
        /// Bytes of strings in one dataset.
        public var stringBytes = 1 << 26
        /// Seconds the reader may take, plus one per 10 MB of file.
        public var seconds = 20.0
        public static let standard = Limits()
    }

    private static let lock = NSLock()

    /// The whole file as a tree (the root group). The HDF5 library reads it in a forked child
    /// (CHDF5 isolated.c), because HDF5 1.10 can crash on damaged files; the child's plain
    /// serialization is decoded here with every count checked against what is left.
    public static func read(_ path: String, limits: Limits = .standard) throws(HDF5Error) -> H5Node {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        lock.lock()
        defer { lock.unlock() }
        let c = sfh5_limits(dataset_elements: UInt64(limits.datasetElements), total_elements: UInt64(limits.totalElements),
                            depth: UInt64(limits.depth), children: UInt64(limits.children), string_bytes: UInt64(limits.stringBytes))
        var fd: Int32 = -1
        let pid = sfh5_read_isolated(path, c, &fd)
        guard pid > 0 else { throw .unreadable(path: path, object: "/", reason: "cannot start the reader (\(String(cString: strerror(errno))))") }
        // At most 8 bytes per element plus names and framing; more means something is wrong.
        let cap = 8 * limits.totalElements + limits.stringBytes + (1 << 24)
        var data = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var readError: Int32 = 0
        // libhdf5 1.10.8 loops forever on some damaged files (H5HG_read): the reader gets a time
        // limit that grows with the file.
        let size = ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int) ?? 0
        let seconds = limits.seconds + min(Double(size) / 10e6, 10 * limits.seconds)
        let deadline = Date().addingTimeInterval(seconds)
        var timedOut = false
        while true {
            let left = deadline.timeIntervalSinceNow
            let n = left <= 0 ? -2 : sfh5_read_chunk(fd, &chunk, chunk.count, Int32(min(left * 1000, 1e9)))
            if n == -2 {
                timedOut = true
                _ = sfh5_kill(pid)
                break
            }
            if n < 0 { readError = errno }
            if n <= 0 { break }
            data += chunk[0 ..< Int(n)]
            if data.count > cap { _ = sfh5_kill(pid); break }
        }
        _ = sfh5_close_fd(fd)
        var signal: Int32 = 0
        let status = sfh5_wait(pid, &signal)
        if timedOut {
            throw .unreadable(path: path, object: "the file", reason: "the HDF5 library did not finish reading it in \(Int(seconds)) s: the file is damaged")
        }
        if signal != 0 {
            throw .unreadable(path: path, object: "the file", reason: data.count > cap ? "the reader wrote more than \(cap) bytes"
                : "the HDF5 library crashed reading it (signal \(signal)): the file is damaged")
        }
        if status == 3 {
            // The error record is at the end: ..., record, u32 length, 'E'.
            guard data.count >= 5, data[data.count - 1] == UInt8(ascii: "E") else { throw .unreadable(path: path, object: "the file", reason: "the reader failed without saying why") }
            let len = data[data.count - 5 ..< data.count - 1].reversed().reduce(0) { $0 << 8 | Int($1) }
            guard len <= data.count - 5 else { throw .unreadable(path: path, object: "the file", reason: "the reader's error record is damaged") }
            var d = Serialized(bytes: Array(data[data.count - 5 - len ..< data.count - 5]), path: path, limits: limits)
            throw d.error()
        }
        guard status == 0, readError == 0 else {
            throw .unreadable(path: path, object: "the file", reason: readError != 0 ? "reading from the reader: \(String(cString: strerror(readError)))" : "the reader failed (exit status \(status))")
        }
        return try decode(data, path: path, limits: limits)
    }

    /// A tree from the reader's serialization (`Serialized`); every count is checked against the
    /// bytes left. The fuzz harness `nir` starts here.
    public static func decode(_ bytes: [UInt8], path: String, limits: Limits = .standard) throws(HDF5Error) -> H5Node {
        var d = Serialized(bytes: bytes, path: path, limits: limits)
        let root = try d.node(depth: 0)
        guard d.at == d.bytes.count else { throw d.corrupt("trailing bytes") }
        return root
    }

    /// The serialization of a tree, as the reader writes it (for fuzz seeds and tests).
    public static func encode(_ node: H5Node) -> [UInt8] {
        var out: [UInt8] = []
        func u64(_ v: UInt64) { out += (0 ..< 8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func str(_ s: String) {
            let b = Array(s.utf8)
            out += (0 ..< 4).map { UInt8(truncatingIfNeeded: UInt32(b.count) >> (8 * $0)) }
            out += b
        }
        func walk(_ n: H5Node) {
            switch n {
            case let .group(children):
                out.append(UInt8(ascii: "G"))
                u64(UInt64(children.count))
                for k in children.keys.sorted() { str(k); walk(children[k]!) }
            case let .dataset(d):
                out.append(UInt8(ascii: "D"))
                switch d.values {
                case .integers: out += [UInt8(SFH5_INTEGER.rawValue), 8]
                case let .floats(_, bits): out += [UInt8(SFH5_FLOAT.rawValue), UInt8(bits / 8)]
                case .strings: out += [UInt8(SFH5_STRING.rawValue), 0]
                }
                out.append(UInt8(truncatingIfNeeded: d.shape.count))
                d.shape.forEach { u64(UInt64($0)) }
                switch d.values {
                case let .integers(v): v.forEach { u64(UInt64(bitPattern: $0)) }
                case let .floats(v, _): v.forEach { u64($0.bitPattern) }
                case let .strings(v): v.forEach(str)
                }
            }
        }
        walk(node)
        return out
    }

    /// Writes `root` (a group) to `path`, replacing it: the file is written beside it and renamed.
    public static func write(_ root: [String: H5Node], to path: String) throws(HDF5Error) {
        let dir = (path as NSString).deletingLastPathComponent
        let staged = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).\(UUID().uuidString).partial"
        do throws(HDF5Error) {
            lock.lock()
            defer { lock.unlock() }
            let file = sfh5_create(staged)
            guard file >= 0 else { throw HDF5Error.cannotWrite(path: path, object: "the file (cannot create \(staged))") }
            do throws(HDF5Error) { try writeGroup(root, file: file, at: "", path: path) } catch {
                _ = sfh5_close_file(file)
                throw error
            }
            guard sfh5_close_file(file) == 0 else { throw HDF5Error.cannotWrite(path: path, object: "the file") }
        } catch {
            try? FileManager.default.removeItem(atPath: staged)
            throw error
        }
        guard rename(staged, path) == 0 else {
            try? FileManager.default.removeItem(atPath: staged)
            throw .cannotWrite(path: path, object: "the file (rename: \(String(cString: strerror(errno))))")
        }
    }

    private static func writeGroup(_ group: [String: H5Node], file: Int64, at prefix: String, path: String) throws(HDF5Error) {
        for name in group.keys.sorted() {
            let object = prefix + "/" + name
            switch group[name]! {
            case let .group(children):
                guard sfh5_create_group(file, object) == 0 else { throw .cannotWrite(path: path, object: object) }
                try writeGroup(children, file: file, at: object, path: path)
            case let .dataset(d):
                guard d.shape.count <= Int(SFH5_MAX_RANK), d.shape.allSatisfy({ $0 >= 0 }),
                      d.shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? -1 : $0 * $1 }) == d.values.count else {
                    throw .cannotWrite(path: path, object: "\(object) (shape \(d.shape) does not hold its \(d.values.count) values)")
                }
                let dims = d.shape.map(UInt64.init)
                let rc: Int32
                switch d.values {
                case let .integers(v): rc = sfh5_write_int64(file, object, Int32(dims.count), dims, v)
                case let .floats(v, bits): rc = sfh5_write_float(file, object, Int32(dims.count), dims, v, Int32(bits))
                case let .strings(v):
                    var cStrings = v.map { strdup($0) }
                    defer { cStrings.forEach { free($0) } }
                    rc = cStrings.withUnsafeMutableBufferPointer { buf in
                        buf.withMemoryRebound(to: UnsafePointer<CChar>?.self) { sfh5_write_strings(file, object, Int32(dims.count), dims, $0.baseAddress) }
                    }
                }
                guard rc == 0 else { throw .cannotWrite(path: path, object: object) }
            }
        }
    }

    /// The child's serialization: `G` u64 n (u32 name, node)^n | `D` u8 class u8 size u8 rank
    /// u64^rank values (int64 / float64 / u32-length strings) | `N` (skipped) | `E` error record.
    struct Serialized {
        let bytes: [UInt8]
        let path: String
        let limits: Limits
        var at = 0
        var total = 0

        init(bytes: [UInt8], path: String, limits: Limits) {
            self.bytes = bytes
            self.path = path
            self.limits = limits
        }

        func corrupt(_ why: String) -> HDF5Error { .unreadable(path: path, object: "/", reason: "the reader's output is corrupt (\(why))") }

        mutating func take(_ n: Int) throws(HDF5Error) -> ArraySlice<UInt8> {
            guard n >= 0, n <= bytes.count - at else { throw corrupt("\(n) bytes wanted at \(at) of \(bytes.count)") }
            defer { at += n }
            return bytes[at ..< at + n]
        }

        mutating func u8() throws(HDF5Error) -> UInt8 { try take(1).first! }
        mutating func u64() throws(HDF5Error) -> UInt64 { try take(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        mutating func u32() throws(HDF5Error) -> Int { Int(try take(4).reversed().reduce(0) { $0 << 8 | UInt32($1) }) }
        mutating func string() throws(HDF5Error) -> String { String(decoding: try take(try u32()), as: UTF8.self) }

        mutating func error() -> HDF5Error {
            do {
                guard try u8() == UInt8(ascii: "E") else { return corrupt("no error record") }
                let (code, object, reason) = (try u8(), try string(), try string())
                switch Int32(code) {
                case Int32(SFH5_E_NOT_HDF5.rawValue): return .notHDF5(path: path)
                case Int32(SFH5_E_CANNOT_OPEN.rawValue): return .cannotOpen(path: path)
                case Int32(SFH5_E_TOO_LARGE.rawValue):
                    let parts = reason.split(separator: "|", maxSplits: 1).map(String.init)
                    return .tooLarge(path: path, object: object, got: parts.first ?? reason, limit: parts.count > 1 ? parts[1] : "?")
                default: return .unreadable(path: path, object: object, reason: reason)
                }
            } catch { return error }
        }

        mutating func node(depth: Int) throws(HDF5Error) -> H5Node {
            guard depth <= limits.depth + 1 else { throw corrupt("nesting deeper than \(limits.depth)") }
            switch try u8() {
            case UInt8(ascii: "G"):
                let n = try u64()
                guard n <= UInt64(min(bytes.count - at, limits.children)) else { throw corrupt("\(n) children") }
                var children: [String: H5Node] = [:]
                for _ in 0 ..< n {
                    let name = try string()
                    if at < bytes.count, bytes[at] == UInt8(ascii: "N") { at += 1; continue }
                    children[name] = try node(depth: depth + 1)
                }
                return .group(children)
            case UInt8(ascii: "D"):
                let (cls, size, rank) = (try u8(), Int(try u8()), Int(try u8()))
                guard rank <= Int(SFH5_MAX_RANK) else { throw corrupt("rank \(rank)") }
                var shape: [Int] = []
                var count = 1
                for _ in 0 ..< rank {
                    let d = try u64()
                    guard d <= UInt64(limits.datasetElements) else { throw corrupt("dimension \(d)") }
                    shape.append(Int(d))
                    let (c, overflow) = count.multipliedReportingOverflow(by: Int(d))
                    guard !overflow, c <= limits.datasetElements else { throw corrupt("more than \(limits.datasetElements) elements") }
                    count = c
                }
                total += count
                // Every element takes at least 4 bytes on the wire.
                guard total <= limits.totalElements, count <= (bytes.count - at) / 4 else { throw corrupt("\(count) elements") }
                switch Int32(cls) {
                case Int32(SFH5_INTEGER.rawValue), Int32(SFH5_FLOAT.rawValue):
                    let raw = try take(count * 8)
                    let words = stride(from: raw.startIndex, to: raw.endIndex, by: 8).map { i in raw[i ..< i + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
                    return H5Dataset(shape: shape, values: Int32(cls) == Int32(SFH5_INTEGER.rawValue)
                        ? .integers(words.map { Int64(bitPattern: $0) }) : .floats(words.map(Double.init(bitPattern:)), bits: size * 8))
                        .asNode
                case Int32(SFH5_STRING.rawValue):
                    var strings: [String] = []
                    for _ in 0 ..< count { strings.append(try string()) }
                    return H5Dataset(shape: shape, values: .strings(strings)).asNode
                default: throw corrupt("class \(cls)")
                }
            default: throw corrupt("tag at \(at - 1)")
            }
        }
    }
}
