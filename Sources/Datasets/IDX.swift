import CZlib
import Foundation
import SpikeForgeCore

/// What is wrong with a dataset file.
public enum DatasetError: Error, Equatable, CustomStringConvertible {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case decompress(path: String, reason: String)
    case malformed(path: String, reason: String)
    /// The header promises more data than SpikeForge reads from one file (`limit` bytes), or
    /// more than the file can hold (`holds`: a bound from its size, nil for SpikeForge's limit).
    case tooLarge(path: String, dimensions: [Int], limit: Int, holds: Int?)
    /// The data ends before the `expected` bytes the header promises; `truncatedStream` when the
    /// gzip stream itself stops mid-way (rather than ending cleanly too early).
    case shortData(path: String, dimensions: [Int], got: Int, expected: Int, truncatedStream: Bool)
    /// The data goes on past the `expected` bytes the header promises: `got` bytes, or at least
    /// `got` when SpikeForge stopped counting (`exact` false).
    case extraData(path: String, dimensions: [Int], got: Int, expected: Int, exact: Bool)
    /// Bytes after the end of the last gzip member that do not start another member.
    case trailingGarbage(path: String, offset: Int)
    /// The image and label files hold different numbers of items.
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    /// The file is valid but holds no items.
    case empty(path: String)
    /// A `.npy` file that cannot be decoded (not .npy, an element type SpikeForge does not read).
    case npy(NPYError)
    /// An array of a `.npy` dataset with the wrong element type: `got` its dtype, `expected` what fits.
    case dtype(path: String, got: String, expected: String)
    /// An array of a `.npy` dataset with the wrong shape.
    case shape(path: String, got: [Int], expected: String)
    /// A label that is negative or larger than SpikeForge's 255: the first such, at `index`.
    case labelRange(path: String, index: Int, value: Int64, bad: Int)
    /// A float image value outside [0, 1] or NaN: the first such, at flat `index`.
    case pixelRange(path: String, index: Int, value: Double, bad: Int)
    /// A file too large to hold in this machine's memory (MemoryBudget).
    case memory(path: String, reason: String)
    /// Several of the above, every problem of a dataset at once.
    case several([DatasetError])

    public var description: String {
        switch self {
        case let .missing(p): return "dataset file '\(p)' not found"
        case let .unreadable(p, r): return "cannot read '\(p)': \(r)"
        case let .decompress(p, r): return "cannot decompress '\(p)': \(r)"
        case let .malformed(p, r): return "'\(p)' is not a valid IDX file: \(r)"
        case let .tooLarge(p, d, limit, holds):
            if let holds {
                return "'\(p)': dimensions \(d) promise more data than the file can hold (at most \(holds) bytes once inflated); expected a header that matches the file"
            }
            return "'\(p)': dimensions \(d) promise more than \(limit) bytes; expected at most \(limit) bytes (\(limit >> 30) GiB, SpikeForge's limit per IDX file)"
        case let .shortData(p, d, got, expected, truncated):
            return "'\(p)': got \(got) data bytes, expected \(expected) for dimensions \(d)" + (truncated ? " (the gzip stream is truncated)" : "")
        case let .extraData(p, d, got, expected, exact):
            return "'\(p)': got \(exact ? "" : "at least ")\(got) data bytes, expected \(expected) for dimensions \(d) (data goes on past the end the header promises)"
        case let .trailingGarbage(p, offset):
            return "'\(p)': bytes after the end of the gzip stream at offset \(offset); expected the end of the file or another gzip member"
        case let .countMismatch(i, ic, l, lc):
            return "'\(i)' holds \(ic) images but '\(l)' holds \(lc) labels; expected equal counts"
        case let .empty(p): return "'\(p)' holds no images; expected at least one"
        case let .npy(e): return e.description
        case let .dtype(p, got, expected): return "'\(p)': dtype \(got), expected \(expected)"
        case let .shape(p, got, expected): return "'\(p)': shape \(got), expected \(expected)"
        case let .labelRange(p, i, v, bad):
            return "'\(p)': label \(v) at index \(i)\(bad > 1 ? " (and \(bad - 1) more)" : ""), expected labels in 0...255 (0 to classes − 1)"
        case let .pixelRange(p, i, v, bad):
            return "'\(p)': value \(v) at flat index \(i)\(bad > 1 ? " (and \(bad - 1) more)" : ""), expected float pixels in [0, 1] (scaled to 0...255)"
        case let .memory(p, r): return "'\(p)': \(r)"
        case let .several(list):
            return "the dataset has \(list.count) problems:\n" + list.map { "  - \($0.description)" }.joined(separator: "\n")
        }
    }
}

/// An IDX tensor of unsigned bytes (the MNIST format): dimensions and data.
public struct IDXArray: Sendable {
    public var dimensions: [Int]
    public var data: [UInt8]
}

/// Reads IDX files, raw or gzip-compressed (through zlib), as a stream: the header is read and
/// checked first, then exactly the data it promises is read into one allocation of that size,
/// and reading stops there. A file that ends early, or goes on past the promised size, is an
/// error; a gzip bomb is never inflated beyond the header's promise (plus a small count of the
/// excess for the message).
public enum IDX {
    /// The most data bytes SpikeForge reads from one IDX file: 2 GiB (MNIST's largest file is
    /// 47 MB, EMNIST's 0.55 GB).
    public static let maxDataBytes = 1 << 31
    /// How far past the promised size the excess is counted for the message.
    static let excessCountLimit = 1 << 20
    /// Deflate inflates at most 1032 bytes per compressed byte; with slack for headers.
    static let maxInflateRatio = 1040

    public static func read(_ path: String) throws(DatasetError) -> IDXArray {
        // O_NONBLOCK: a FIFO named like a dataset file must not block the open (a regular file
        // reads the same either way); the regular-file check below refuses it.
        let fd = open(path, O_RDONLY | O_NONBLOCK)
        guard fd >= 0 else {
            let e = errno
            if e == ENOENT { throw .missing(path: path) }
            throw .unreadable(path: path, reason: String(cString: strerror(e)))
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadable(path: path, reason: "not a regular file")
        }
        return try decode(ByteInput(fd: fd, path: path), size: Int(st.st_size), path: path)
    }

    /// Decodes a whole IDX file held in memory, raw or gzip-compressed.
    public static func decode(_ data: Data, path: String) throws(DatasetError) -> IDXArray {
        try decode(ByteInput(data: data, path: path), size: data.count, path: path)
    }

    /// Decodes raw (uncompressed) IDX bytes.
    public static func parse(_ b: [UInt8], path: String) throws(DatasetError) -> IDXArray {
        try decode(ByteInput(data: Data(b), path: path), size: b.count, path: path, allowGzip: false)
    }

    static func decode(_ input: ByteInput, size: Int, path: String, allowGzip: Bool = true) throws(DatasetError) -> IDXArray {
        var magic = [UInt8](repeating: 0, count: 2)
        let m = try input.peek(into: &magic)
        let gzip = allowGzip && m == 2 && magic == [0x1F, 0x8B]
        var source = gzip ? try ByteSource.gzip(Inflater(input)) : .raw(input)
        // Header: magic (2 zero bytes, type, rank), then one big-endian UInt32 per dimension.
        var head = [UInt8](repeating: 0, count: 4)
        let h = try source.read(into: &head)
        guard h == 4, head[0] == 0, head[1] == 0 else {
            let got = head.prefix(h).map { String(format: "%02x", $0) }.joined()
            throw .malformed(path: path, reason: "bad magic number 0x\(got), expected 0x000008nn (unsigned-byte IDX)")
        }
        guard head[2] == 0x08 else { throw .malformed(path: path, reason: "element type 0x\(String(head[2], radix: 16)), expected 0x08 (unsigned byte)") }
        let nd = Int(head[3])
        guard nd >= 1 else { throw .malformed(path: path, reason: "0 dimensions, expected at least 1") }
        var dimBytes = [UInt8](repeating: 0, count: 4 * nd)
        let got = try source.read(into: &dimBytes)
        guard got == dimBytes.count else {
            throw .malformed(path: path, reason: "truncated header: \(got) of the \(4 * nd) bytes of \(nd) dimensions")
        }
        var dims: [Int] = []
        for k in 0 ..< nd {
            var d = 0
            for byte in dimBytes[4 * k ..< 4 * k + 4] { d = d << 8 | Int(byte) }
            dims.append(d)
        }
        let headerBytes = 4 + 4 * nd
        guard let n = CheckedArithmetic.product(dims), n <= maxDataBytes else {
            throw .tooLarge(path: path, dimensions: dims, limit: maxDataBytes, holds: nil)
        }
        // What the file can hold: its size when raw; deflate's best ratio when compressed.
        let capacity = gzip ? CheckedArithmetic.product([size, maxInflateRatio]) ?? .max : size
        if headerBytes + n > capacity {
            if gzip { throw .tooLarge(path: path, dimensions: dims, limit: maxDataBytes, holds: capacity) }
            throw .shortData(path: path, dimensions: dims, got: max(0, size - headerBytes), expected: n, truncatedStream: false)
        }
        if !gzip, size > headerBytes + n {
            throw .extraData(path: path, dimensions: dims, got: size - headerBytes, expected: n, exact: true)
        }
        // Exactly the promised size, filled straight from the stream.
        var failure: DatasetError?
        let data = [UInt8](unsafeUninitializedCapacity: n) { buf, count in
            count = 0
            do throws(DatasetError) {
                while count < n {
                    let r = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[count ..< n]))
                    if r == 0 { break }
                    count += r
                }
            } catch { failure = error }
        }
        if let failure { throw failure }
        guard data.count == n else {
            throw .shortData(path: path, dimensions: dims, got: data.count, expected: n, truncatedStream: source.truncated)
        }
        // The promised size is read: anything more is an error (count a little of it for the message).
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        var extra = 0
        while extra < excessCountLimit {
            let r = try source.read(into: &scratch)
            if r == 0 { break }
            extra += r
        }
        if extra > 0 {
            throw .extraData(path: path, dimensions: dims, got: n + extra, expected: n, exact: extra < excessCountLimit)
        }
        if source.truncated {
            throw .decompress(path: path, reason: "truncated gzip stream: the data is complete but the stream ends before its end marker and checksum")
        }
        return IDXArray(dimensions: dims, data: data)
    }
}

/// `withUnsafeMutableBytes` for a body that throws `DatasetError` (the standard one rethrows untyped).
private func withBytes(_ bytes: inout [UInt8], _ body: (UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int) throws(DatasetError) -> Int {
    var failure: DatasetError?
    let r = bytes.withUnsafeMutableBytes { b -> Int in
        do throws(DatasetError) { return try body(b) } catch { failure = error; return 0 }
    }
    if let failure { throw failure }
    return r
}

#if canImport(Glibc)
private func systemRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ n: Int) -> Int { Glibc.read(fd, buf, n) }
#else
private func systemRead(_ fd: Int32, _ buf: UnsafeMutableRawPointer, _ n: Int) -> Int { Darwin.read(fd, buf, n) }
#endif

/// Compressed or raw bytes: a file descriptor read in chunks, or bytes in memory.
final class ByteInput {
    let path: String
    private let fd: Int32
    private let data: Data?
    private var offset = 0
    /// Bytes peeked but not yet consumed (file input only).
    private var pending: [UInt8] = []

    init(fd: Int32, path: String) {
        self.fd = fd
        self.path = path
        data = nil
    }

    init(data: Data, path: String) {
        fd = -1
        self.path = path
        self.data = data
    }

    /// Total bytes consumed so far (for messages).
    var consumed: Int { offset }

    /// Reads up to `buffer.count` bytes; 0 at the end.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        if !pending.isEmpty {
            let k = min(pending.count, buffer.count)
            for i in 0 ..< k { base.storeBytes(of: pending[i], toByteOffset: i, as: UInt8.self) }
            pending.removeFirst(k)
            offset += k
            return k
        }
        if let data {
            let k = min(data.count - offset, buffer.count)
            guard k > 0 else { return 0 }
            let from = data.startIndex + offset
            data.copyBytes(to: base.assumingMemoryBound(to: UInt8.self), from: from ..< from + k)
            offset += k
            return k
        }
        while true {
            let r = systemRead(fd, base, buffer.count)
            if r >= 0 {
                offset += r
                return r
            }
            if errno != EINTR { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        }
    }

    /// Fills `bytes` without consuming them; returns how many are available (at most its count).
    func peek(into bytes: inout [UInt8]) throws(DatasetError) -> Int {
        var got = 0
        var tmp = [UInt8](repeating: 0, count: bytes.count)
        while got < bytes.count {
            let r = try withBytes(&tmp) { b throws(DatasetError) in try read(into: UnsafeMutableRawBufferPointer(rebasing: b[got...])) }
            if r == 0 { break }
            got += r
        }
        offset -= got
        pending = Array(tmp.prefix(got)) + pending
        bytes.replaceSubrange(0 ..< got, with: tmp.prefix(got))
        return got
    }
}

/// The bytes of an IDX file: as they are, or inflated as they are read.
enum ByteSource {
    case raw(ByteInput)
    case gzip(Inflater)

    /// Reads up to `buffer.count` bytes; fewer only at the end of the data.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        var got = 0
        while got < buffer.count {
            let rest = UnsafeMutableRawBufferPointer(rebasing: buffer[got...])
            let r: Int
            switch self {
            case let .raw(i): r = try i.read(into: rest)
            case let .gzip(z): r = try z.inflate(into: rest)
            }
            if r == 0 { break }
            got += r
        }
        return got
    }

    mutating func read(into bytes: inout [UInt8]) throws(DatasetError) -> Int {
        var source = self
        defer { self = source }
        return try withBytes(&bytes) { b throws(DatasetError) in try source.read(into: b) }
    }

    /// True when a gzip stream stopped mid-way (input ended inside a member).
    var truncated: Bool {
        if case let .gzip(z) = self { return z.truncated }
        return false
    }
}

/// A zlib inflater over a `ByteInput`, one 64 KiB input chunk at a time. Concatenated gzip
/// members are read as one stream; anything else after a member is trailing garbage.
final class Inflater {
    private var stream = z_stream()
    private let input: ByteInput
    private let chunk: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var memberEnded = false
    private(set) var truncated = false

    init(_ input: ByteInput) throws(DatasetError) {
        self.input = input
        chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            chunk.deallocate()
            throw .decompress(path: input.path, reason: "zlib inflateInit failed")
        }
    }

    deinit {
        inflateEnd(&stream)
        chunk.deallocate()
    }

    private func refill() throws(DatasetError) {
        guard stream.avail_in == 0, !inputEnded else { return }
        let r = try input.read(into: chunk)
        if r == 0 { inputEnded = true; return }
        stream.next_in = chunk.baseAddress?.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = uInt(r)
    }

    /// Inflates into `out`; returns the bytes written, 0 at the end of the data.
    func inflate(into out: UnsafeMutableRawBufferPointer) throws(DatasetError) -> Int {
        guard let base = out.baseAddress, out.count > 0 else { return 0 }
        stream.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = uInt(min(out.count, Int(UInt32.max)))
        let start = Int(stream.avail_out)
        while stream.avail_out > 0 {
            try refill()
            if memberEnded {
                // The end of a member: the end of the file, or another member.
                if stream.avail_in == 0 { break }
                guard let next = stream.next_in, next.pointee == 0x1F else {
                    throw .trailingGarbage(path: input.path, offset: input.consumed - Int(stream.avail_in))
                }
                guard CZlib.inflateReset(&stream) == Z_OK else { throw .decompress(path: input.path, reason: "zlib inflateReset failed") }
                memberEnded = false
            }
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK: continue
            case Z_STREAM_END: memberEnded = true
            case Z_BUF_ERROR:
                // No progress possible: input is exhausted (refilled on the next turn) or ended.
                if inputEnded { truncated = true; return start - Int(stream.avail_out) }
            case Z_DATA_ERROR:
                let msg = stream.msg.map { String(cString: $0) } ?? "invalid data"
                throw .decompress(path: input.path, reason: "corrupted gzip data (\(msg)) at compressed byte \(input.consumed - Int(stream.avail_in))")
            case Z_MEM_ERROR: throw .decompress(path: input.path, reason: "zlib is out of memory")
            default: throw .decompress(path: input.path, reason: "zlib status \(status)")
            }
        }
        return start - Int(stream.avail_out)
    }
}
