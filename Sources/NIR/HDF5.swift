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
        public static let standard = Limits()
    }

    private static let lock = NSLock()

    /// The whole file as a tree (the root group).
    public static func read(_ path: String, limits: Limits = .standard) throws(HDF5Error) -> H5Node {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        lock.lock()
        defer { lock.unlock() }
        guard sfh5_is_hdf5(path) == 1 else { throw .notHDF5(path: path) }
        let file = sfh5_open_read(path)
        guard file >= 0 else { throw .cannotOpen(path: path) }
        defer { _ = sfh5_close_file(file) }
        var reader = Reader(file: file, path: path, limits: limits)
        return try reader.group("/", depth: 0)
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

    private struct Reader {
        let file: Int64
        let path: String
        let limits: Limits
        var total = 0

        init(file: Int64, path: String, limits: Limits) {
            self.file = file
            self.path = path
            self.limits = limits
        }

        mutating func group(_ object: String, depth: Int) throws(HDF5Error) -> H5Node {
            guard depth <= limits.depth else { throw .tooLarge(path: path, object: object, got: "groups nested \(depth) deep", limit: "\(limits.depth) levels") }
            let n = sfh5_child_count(file, object)
            guard n >= 0 else { throw .unreadable(path: path, object: object, reason: "cannot list the group") }
            guard n <= limits.children else { throw .tooLarge(path: path, object: object, got: "\(n) children", limit: "\(limits.children)") }
            var children: [String: H5Node] = [:]
            for i in 0 ..< n {
                let len = sfh5_child_name(file, object, i, nil, 0)
                guard len >= 0, len < 4096 else { throw .unreadable(path: path, object: object, reason: "child \(i) has no readable name") }
                var buf = [CChar](repeating: 0, count: Int(len) + 1)
                _ = sfh5_child_name(file, object, i, &buf, buf.count)
                let name = String(decoding: buf.prefix(Int(len)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let child = (object == "/" ? "" : object) + "/" + name
                switch sfh5_kind(file, child) {
                case Int32(SFH5_GROUP.rawValue): children[name] = try group(child, depth: depth + 1)
                case Int32(SFH5_DATASET.rawValue): children[name] = .dataset(try dataset(child))
                default: continue // named datatypes, dangling links: not part of a NIR file
                }
            }
            return .group(children)
        }

        mutating func dataset(_ object: String) throws(HDF5Error) -> H5Dataset {
            var (cls, rank, signed, size): (Int32, Int32, Int32, Int) = (0, 0, 0, 0)
            var dims = [UInt64](repeating: 0, count: Int(SFH5_MAX_RANK))
            guard sfh5_dataset_info(file, object, &cls, &rank, &dims, &signed, &size) == 0 else {
                throw .unreadable(path: path, object: object, reason: "cannot read the dataset's type and shape")
            }
            guard rank <= SFH5_MAX_RANK else { throw .tooLarge(path: path, object: object, got: "rank \(rank)", limit: "rank \(SFH5_MAX_RANK)") }
            var count = 1
            var shape: [Int] = []
            for d in dims.prefix(Int(rank)) {
                guard d <= UInt64(limits.datasetElements) else { throw .tooLarge(path: path, object: object, got: "a dimension of \(d)", limit: "\(limits.datasetElements) elements") }
                shape.append(Int(d))
                count *= Int(d)
                guard count <= limits.datasetElements else { throw .tooLarge(path: path, object: object, got: "shape \(dims.prefix(Int(rank)))", limit: "\(limits.datasetElements) elements") }
            }
            total += count
            guard total <= limits.totalElements else { throw .tooLarge(path: path, object: object, got: "\(total) elements in all", limit: "\(limits.totalElements) elements") }
            switch cls {
            case Int32(SFH5_INTEGER.rawValue):
                guard signed != 0 || size < 8 else { throw .unreadable(path: path, object: object, reason: "unsigned 64-bit integers are not supported") }
                var v = [Int64](repeating: 0, count: count)
                guard sfh5_read_int64(file, object, &v, UInt64(count)) == 0 else { throw .unreadable(path: path, object: object, reason: "cannot read the integers") }
                return H5Dataset(shape: shape, values: .integers(v))
            case Int32(SFH5_FLOAT.rawValue):
                var v = [Double](repeating: 0, count: count)
                guard sfh5_read_doubles(file, object, &v, UInt64(count)) == 0 else { throw .unreadable(path: path, object: object, reason: "cannot read the floats") }
                return H5Dataset(shape: shape, values: .floats(v, bits: size * 8))
            case Int32(SFH5_STRING.rawValue):
                let need = sfh5_read_strings(file, object, UInt64(count), nil, 0)
                guard need >= 0 else { throw .unreadable(path: path, object: object, reason: "cannot read the strings") }
                guard need <= 1 << 26 else { throw .tooLarge(path: path, object: object, got: "\(need) bytes of strings", limit: "\(1 << 26) bytes") }
                var buf = [CChar](repeating: 0, count: max(1, Int(need)))
                guard sfh5_read_strings(file, object, UInt64(count), &buf, buf.count) == need else {
                    throw .unreadable(path: path, object: object, reason: "cannot read the strings")
                }
                let strings = buf.prefix(Int(need)).split(separator: 0, omittingEmptySubsequences: false).prefix(count)
                    .map { String(decoding: $0.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
                return H5Dataset(shape: shape, values: .strings(Array(strings)))
            default:
                throw .unreadable(path: path, object: object, reason: "its element type is neither integer, float nor string")
            }
        }
    }
}
