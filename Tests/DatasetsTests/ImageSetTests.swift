import Datasets
import Foundation
import Testing

/// Bad MNIST directories: every case gets an error naming the file and what is wrong.
@Suite struct ImageSetTests {
    static func idx(_ dims: [Int], _ data: [UInt8]) -> [UInt8] {
        var b: [UInt8] = [0, 0, 8, UInt8(dims.count)]
        for d in dims { b += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
        return b + data
    }

    static func gzip(_ bytes: [UInt8], at url: URL) throws {
        let raw = url.deletingPathExtension()
        try Data(bytes).write(to: raw)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-f", "-n", raw.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    /// A directory with a valid `t10k` split of `n` 2×2 images, gzip-compressed.
    static func directory(images n: Int, labels m: Int) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-imageset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try gzip(idx([n, 2, 2], (0 ..< n * 4).map { UInt8($0 & 0xFF) }), at: dir.appendingPathComponent("t10k-images-idx3-ubyte.gz"))
        try gzip(idx([m], (0 ..< m).map { UInt8($0 % 10) }), at: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        return dir
    }

    @Test func readsAValidSplit() throws {
        let dir = try Self.directory(images: 5, labels: 5)
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = try ImageSet.mnist(directory: dir.path, split: "t10k")
        #expect(s.count == 5 && s.width == 2 && s.height == 2)
        #expect(Array(s.image(1)) == [4, 5, 6, 7])
        #expect(s.prefix(2).labels == [0, 1])
    }

    @Test func countMismatchNamesBothFiles() throws {
        let dir = try Self.directory(images: 5, labels: 4)
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz").path
        let lbl = dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path
        #expect(throws: DatasetError.countMismatch(images: img, imageCount: 5, labels: lbl, labelCount: 4)) {
            try ImageSet.mnist(directory: dir.path, split: "t10k")
        }
        let e = DatasetError.countMismatch(images: img, imageCount: 5, labels: lbl, labelCount: 4)
        #expect(e.description.contains("holds 5 images") && e.description.contains("holds 4 labels"))
    }

    @Test func emptyDatasetIsAnError() throws {
        let dir = try Self.directory(images: 0, labels: 0)
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(throws: DatasetError.empty(path: dir.appendingPathComponent("t10k-images-idx3-ubyte.gz").path)) {
            try ImageSet.mnist(directory: dir.path, split: "t10k")
        }
    }

    @Test func truncatedAndCorruptedGzipSayWhich() throws {
        let dir = try Self.directory(images: 50, labels: 50)
        defer { try? FileManager.default.removeItem(at: dir) }
        let img = dir.appendingPathComponent("t10k-images-idx3-ubyte.gz")
        let good = try Data(contentsOf: img)
        try good.prefix(good.count / 2).write(to: img)
        #expect {
            try ImageSet.mnist(directory: dir.path, split: "t10k")
        } throws: { e in
            guard case let .shortData(path, dims, _, expected, truncated)? = e as? DatasetError else { return false }
            return path == img.path && dims == [50, 2, 2] && expected == 200 && truncated
        }
        var bad = [UInt8](good)
        for k in 12 ..< min(bad.count - 8, 40) { bad[k] ^= 0x5A }
        try Data(bad).write(to: img)
        #expect {
            try ImageSet.mnist(directory: dir.path, split: "t10k")
        } throws: { e in
            guard case let .decompress(path, reason)? = e as? DatasetError else { return false }
            return path == img.path && reason.hasPrefix("corrupted gzip data")
        }
    }

    @Test func wrongMagicNamesTheFile() throws {
        let dir = try Self.directory(images: 3, labels: 3)
        defer { try? FileManager.default.removeItem(at: dir) }
        var b = Self.idx([3], [0, 1, 2])
        b[2] = 0x0B
        b[0] = 0x12
        try Self.gzip(b, at: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz"))
        #expect(throws: DatasetError.malformed(path: dir.appendingPathComponent("t10k-labels-idx1-ubyte.gz").path,
                                              reason: "bad magic number 0x12000b01, expected 0x000008nn (unsigned-byte IDX)")) {
            try ImageSet.mnist(directory: dir.path, split: "t10k")
        }
    }

    @Test func readsTheDevelopmentMNIST() throws {
        let s = try ImageSet.mnist(directory: IDXTests.mnistDir, split: "train", limit: 1000)
        #expect(s.count == 1000 && s.imageSize == 784 && s.classCount == 10)
    }
}
