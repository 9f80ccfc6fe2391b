import CZlib
import Datasets
import Foundation
import Testing

@Suite struct IDXTests {
    /// The repository's development copy of MNIST (CI has it beside the clone).
    static let mnistDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/data/mnist").standardizedFileURL.path

    @Test func readsGzippedMNIST() throws {
        let m = try ImageSet.mnist(directory: Self.mnistDir, split: "t10k", limit: 100)
        #expect(m.count == 100 && m.labels.count == 100)
        #expect((0 ..< m.count).allSatisfy { m.image($0).count == 784 })
        #expect(m.labels.prefix(10) == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
        #expect(m.labels.allSatisfy { $0 < 10 })
    }

    @Test func rawIDXRoundTrip() throws {
        let bytes: [UInt8] = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]
        let a = try IDX.parse(bytes, path: "t")
        #expect(a.dimensions == [2, 3] && a.data == [1, 2, 3, 4, 5, 6])
    }

    @Test func malformedFilesSayWhy() {
        #expect(throws: DatasetError.malformed(path: "t", reason: "bad magic number 0x01020304, expected 0x000008nn (unsigned-byte IDX)")) { try IDX.parse([1, 2, 3, 4], path: "t") }
        #expect(throws: DatasetError.malformed(path: "t", reason: "element type 0xd, expected 0x08 (unsigned byte)")) { try IDX.parse([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0], path: "t") }
        #expect(throws: DatasetError.shortData(path: "t", dimensions: [2], got: 1, expected: 2, truncatedStream: false)) { try IDX.parse([0, 0, 8, 1, 0, 0, 0, 2, 9], path: "t") }
        #expect(throws: DatasetError.extraData(path: "t", dimensions: [2], got: 3, expected: 2, exact: true)) { try IDX.parse([0, 0, 8, 1, 0, 0, 0, 2, 9, 8, 7], path: "t") }
        #expect(throws: DatasetError.malformed(path: "t", reason: "truncated header: 5 of the 8 bytes of 2 dimensions")) { try IDX.parse([0, 0, 8, 2, 0, 0, 0, 2, 9], path: "t") }
        #expect(throws: DatasetError.malformed(path: "t", reason: "0 dimensions, expected at least 1")) { try IDX.parse([0, 0, 8, 0], path: "t") }
        #expect(throws: DatasetError.missing(path: "/nonexistent/t10k-images-idx3-ubyte[.gz]")) { try ImageSet.mnist(directory: "/nonexistent", split: "t10k") }
        #expect(throws: DatasetError.self) { try IDX.decode(Data([0x1F, 0x8B, 0, 1, 2]), path: "x.gz") }
        // Dimensions whose product overflows 64 bits: an error, not a trap.
        let huge: [UInt8] = [0, 0, 8, 3] + Array(repeating: 0xFF, count: 12) + [1, 2, 3]
        #expect(throws: DatasetError.tooLarge(path: "t", dimensions: [4294967295, 4294967295, 4294967295], limit: IDX.maxDataBytes, holds: nil)) {
            try IDX.parse(huge, path: "t")
        }
        // A product that fits 64 bits but not SpikeForge's limit; one that fits the limit but not the file.
        #expect(throws: DatasetError.tooLarge(path: "t", dimensions: [65536, 65536], limit: IDX.maxDataBytes, holds: nil)) {
            try IDX.parse([0, 0, 8, 2, 0, 1, 0, 0, 0, 1, 0, 0], path: "t")
        }
        #expect(throws: DatasetError.shortData(path: "t", dimensions: [65536, 256], got: 1, expected: 1 << 24, truncatedStream: false)) {
            try IDX.parse([0, 0, 8, 2, 0, 1, 0, 0, 0, 0, 1, 0, 7], path: "t")
        }
        #expect(DatasetError.tooLarge(path: "t", dimensions: [65536, 65536], limit: IDX.maxDataBytes, holds: nil).description
            == "'t': dimensions [65536, 65536] promise more than 2147483648 bytes; expected at most 2147483648 bytes (2 GiB, SpikeForge's limit per IDX file)")
    }

    // MARK: Streaming gzip

    static func gzip(_ parts: [[UInt8]], repeating zeros: Int = 0, level: Int32 = 9) -> Data {
        var s = z_stream()
        #expect(deflateInit2_(&s, level, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&s) }
        var out = Data()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        func feed(_ bytes: [UInt8], _ flush: Int32) {
            var input = bytes
            input.withUnsafeMutableBufferPointer { inp in
                s.next_in = inp.baseAddress
                s.avail_in = uInt(inp.count)
                repeat {
                    chunk.withUnsafeMutableBufferPointer { c in
                        s.next_out = c.baseAddress
                        s.avail_out = uInt(c.count)
                        _ = deflate(&s, flush)
                        out.append(c.baseAddress!, count: c.count - Int(s.avail_out))
                    }
                } while s.avail_out == 0
            }
        }
        for p in parts { feed(p, Z_NO_FLUSH) }
        let block = [UInt8](repeating: 0, count: 1 << 20)
        for _ in 0 ..< zeros >> 20 { feed(block, Z_NO_FLUSH) }
        feed([], Z_FINISH)
        return out
    }

    static func header(_ dims: [Int]) -> [UInt8] {
        [0, 0, 8, UInt8(dims.count)] + dims.flatMap { d in [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    }

    @Test func gzipRoundTripAndConcatenatedMembers() throws {
        let pixels = (0 ..< 40).map { UInt8($0) }
        let one = Self.gzip([Self.header([10, 2, 2]), pixels])
        let a = try IDX.decode(one, path: "a.gz")
        #expect(a.dimensions == [10, 2, 2] && a.data == pixels)
        // Two members (`cat a.gz b.gz`) are one stream.
        let two = Self.gzip([Self.header([10, 2, 2]), Array(pixels.prefix(15))]) + Self.gzip([Array(pixels.dropFirst(15))])
        #expect(try IDX.decode(two, path: "b.gz").data == pixels)
    }

    /// A header promising 10 images followed by 256 MiB of zeros: refused after reading the
    /// promised 7,840 bytes and at most 1 MiB more, in a fraction of a second and a few MB.
    @Test func gzipBombStopsAtThePromisedSize() throws {
        let dims = [10, 28, 28]
        let bomb = Self.gzip([Self.header(dims), [UInt8](repeating: 1, count: 7840)], repeating: 256 << 20)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-idx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bomb.gz").path
        try bomb.write(to: URL(fileURLWithPath: path))
        let start = ContinuousClock.now
        #expect(throws: DatasetError.extraData(path: path, dimensions: dims, got: 7840 + (1 << 20), expected: 7840, exact: false)) { try IDX.read(path) }
        #expect(ContinuousClock.now - start < .seconds(2))
        // A header promising more than deflate can expand the file to: refused before any allocation.
        let liar = Self.gzip([Self.header([60000, 28, 28]), [1, 2, 3]])
        #expect(throws: DatasetError.tooLarge(path: "l.gz", dimensions: [60000, 28, 28], limit: IDX.maxDataBytes, holds: liar.count * 1040)) {
            try IDX.decode(liar, path: "l.gz")
        }
    }

    @Test func gzipTruncatedOrFollowedByGarbageSaysSo() throws {
        let pixels = [UInt8](repeating: 7, count: 400) + (0 ..< 400).map { UInt8($0 & 0xFF) }
        let good = Self.gzip([Self.header([200, 2, 2]), pixels])
        #expect(try IDX.decode(good, path: "g.gz").data == pixels)
        // Cut in the middle of the data: short data, stream truncated.
        #expect {
            try IDX.decode(good.prefix(good.count / 2), path: "h.gz")
        } throws: { e in
            guard case let .shortData(p, d, got, expected, truncated)? = e as? DatasetError else { return false }
            return p == "h.gz" && d == [200, 2, 2] && got < 800 && expected == 800 && truncated
        }
        // Cut in the trailer (CRC and size): the data is complete but the stream is not.
        #expect(throws: DatasetError.decompress(path: "t.gz", reason: "truncated gzip stream: the data is complete but the stream ends before its end marker and checksum")) {
            try IDX.decode(good.dropLast(4), path: "t.gz")
        }
        // A well-formed stream that ends early.
        #expect(throws: DatasetError.shortData(path: "s.gz", dimensions: [200, 2, 2], got: 799, expected: 800, truncatedStream: false)) {
            try IDX.decode(Self.gzip([Self.header([200, 2, 2]), Array(pixels.dropLast())]), path: "s.gz")
        }
        // Garbage after the stream; extra data inside it.
        #expect(throws: DatasetError.trailingGarbage(path: "x.gz", offset: good.count)) { try IDX.decode(good + Data([0, 0, 0]), path: "x.gz") }
        #expect(throws: DatasetError.extraData(path: "e.gz", dimensions: [200, 2, 2], got: 803, expected: 800, exact: true)) {
            try IDX.decode(Self.gzip([Self.header([200, 2, 2]), pixels, [1, 2, 3]]), path: "e.gz")
        }
        // A corrupted stream.
        var bad = [UInt8](good)
        for k in 12 ..< 40 { bad[k] ^= 0x5A }
        #expect {
            try IDX.decode(Data(bad), path: "c.gz")
        } throws: { e in
            guard case let .decompress(p, reason)? = e as? DatasetError else { return false }
            return p == "c.gz" && reason.hasPrefix("corrupted gzip data")
        }
    }

    @Test func unreadablePathsSayWhy() {
        #expect(throws: DatasetError.missing(path: "/nonexistent/x")) { try IDX.read("/nonexistent/x") }
        #expect(throws: DatasetError.unreadable(path: "/tmp", reason: "not a regular file")) { try IDX.read("/tmp") }
    }
}
