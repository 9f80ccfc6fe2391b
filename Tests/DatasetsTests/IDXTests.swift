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
        #expect(throws: DatasetError.malformed(path: "t", reason: "1 data bytes, expected 2 for dimensions [2]")) { try IDX.parse([0, 0, 8, 1, 0, 0, 0, 2, 9], path: "t") }
        #expect(throws: DatasetError.missing(path: "/nonexistent/t10k-images-idx3-ubyte[.gz]")) { try ImageSet.mnist(directory: "/nonexistent", split: "t10k") }
        #expect(throws: DatasetError.self) { try IDX.gunzip(Data([0x1F, 0x8B, 0, 1, 2]), path: "x.gz") }
        // Dimensions whose product overflows 64 bits: an error, not a trap.
        let huge: [UInt8] = [0, 0, 8, 3] + Array(repeating: 0xFF, count: 12) + [1, 2, 3]
        #expect(throws: DatasetError.malformed(path: "t", reason: "dimensions [4294967295, 4294967295, 4294967295] describe more elements than a file can hold (3 data bytes)")) {
            try IDX.parse(huge, path: "t")
        }
    }
}
