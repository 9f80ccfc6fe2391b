import Foundation
import Testing

@testable import NIR

@Suite struct HDF5Tests {
    @Test func writeThenReadGivesTheSameTree() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-h5-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.h5").path
        let tree: [String: H5Node] = [
            "version": .dataset(.string("0.5.0")),
            "node": .group([
                "w": .dataset(.floats([1, -2.5, 3, 4, 5, 6], shape: [2, 3], bits: 32)),
                "d": .dataset(.floats([0.1, 1e300], bits: 64)),
                "n": .dataset(.integer(-7)),
                "e": .dataset(H5Dataset(shape: [2, 2], values: .strings(["a", "bé", "", "d"]))),
                "empty": .group([:]),
            ]),
        ]
        try HDF5.write(tree, to: path)
        let back = try HDF5.read(path)
        #expect(back == .group(tree))
    }

    @Test func aTextFileIsNotHDF5() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sf-h5-\(UUID().uuidString).nir").path
        try Data("not hdf5\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(throws: HDF5Error.notHDF5(path: path)) { try HDF5.read(path) }
        #expect(throws: HDF5Error.missing(path: path + ".x")) { try HDF5.read(path + ".x") }
    }

    @Test func limitsAreCheckedBeforeReading() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sf-h5-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try HDF5.write(["big": .dataset(.floats([Double](repeating: 1, count: 1000), shape: [10, 100]))], to: path)
        var limits = HDF5.Limits.standard
        limits.datasetElements = 999
        // The reader's error record comes after the part of the tree already sent.
        #expect(throws: HDF5Error.tooLarge(path: path, object: "/big", got: "a dimension of 100", limit: "999 elements")) { try HDF5.read(path, limits: limits) }
    }
}

@Suite struct HDF5SerializationTests {
    /// The reader's serialization (what the forked child sends) decodes to the tree read.
    @Test func encodeDecodeIsTheIdentity() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/conv_if.nir").path
        let tree = try HDF5.read(fixture)
        #expect(try HDF5.decode(HDF5.encode(tree), path: "x") == tree)
    }

    /// Dimensions whose product overflows (256^7 · 128 = 2^63) are refused before any count.
    @Test func anOverflowingShapeIsAnError() {
        var b: [UInt8] = [UInt8(ascii: "G")] + [1, 0, 0, 0, 0, 0, 0, 0] + [1, 0, 0, 0, UInt8(ascii: "x")] + [UInt8(ascii: "D"), 2, 0, 8]
        for d in [UInt64](repeating: 256, count: 7) + [128] { b += (0 ..< 8).map { UInt8(truncatingIfNeeded: d >> (8 * $0)) } }
        b += [UInt8](repeating: 0, count: 256 - b.count)
        #expect(throws: HDF5Error.self) { try HDF5.decode(b, path: "x") }
    }

    /// Every truncation of a valid serialization is a typed error, never a trap.
    @Test func truncationsAreErrors() throws {
        let bytes = HDF5.encode(.group(["a": .dataset(.floats([1, 2, 3], shape: [3])), "b": .group(["s": .dataset(.string("x"))])]))
        for n in 0 ..< bytes.count { #expect(throws: HDF5Error.self) { try HDF5.decode(Array(bytes.prefix(n)), path: "x") } }
    }
}

@Suite struct HDF5DamagedFileTests {
    /// libhdf5 loops forever on this file (Fixtures/README.md); the reader is killed in time.
    @Test func anEndlessLoopInTheLibraryEndsAtTheTimeLimit() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/hdf5_endless_loop.nir").path
        var limits = HDF5.Limits.standard
        limits.seconds = 1
        let t0 = Date()
        #expect(throws: HDF5Error.unreadable(path: path, object: "the file", reason: "the HDF5 library did not finish reading it in 1 s: the file is damaged")) {
            try HDF5.read(path, limits: limits)
        }
        #expect(Date().timeIntervalSince(t0) < 10)
    }
}
