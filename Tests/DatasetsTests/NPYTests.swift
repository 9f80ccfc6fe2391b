import Datasets
import Foundation
import Testing

@Suite struct NPYTests {
    @Test(arguments: NPYDType.allCases) func roundTrips(_ t: NPYDType) throws {
        let a: NPYArray
        if t.isFloat {
            a = NPYArray(shape: [2, 3], dtype: t, floats: [0, -1.5, 2.25, 1e3, -0.125, 7])
        } else {
            let r = t.range
            a = NPYArray(shape: [3, 2], dtype: t, integers: [max(r.lowerBound, -100), 0, 1, min(r.upperBound, 100), r.lowerBound, r.upperBound])
        }
        let d = try NPY.encode(a)
        #expect(d.count % 64 == (a.count * t.size) % 64, "header padded to 64 bytes")
        #expect(try NPY.decode(d, path: "x.npy") == a)
    }

    @Test func valueOutOfRangeIsRefused() {
        #expect(throws: NPYError.outOfRange(path: "w.npy", value: "128", dtype: "|i1")) {
            try NPY.encode(NPYArray(shape: [1], dtype: .int8, integers: [128]), path: "w.npy")
        }
    }

    @Test func malformedFilesSayWhy() throws {
        #expect(throws: NPYError.malformed(path: "a", reason: "missing the \\x93NUMPY magic string")) { try NPY.decode(Data([1, 2, 3]), path: "a") }
        let good = try NPY.encode(NPYArray(shape: [4], dtype: .int32, integers: [1, 2, 3, 4]))
        #expect(throws: NPYError.malformed(path: "b", reason: "12 data bytes, expected 16 for shape [4] of <i4")) { try NPY.decode(good.dropLast(4), path: "b") }
        var big = [UInt8](good)
        let header = String(decoding: big[10 ..< 74], as: UTF8.self).replacingOccurrences(of: "<i4", with: ">i4")
        big.replaceSubrange(10 ..< 74, with: Array(header.utf8))
        #expect(throws: NPYError.self) { try NPY.decode(Data(big), path: "c") }
    }

    /// A shape whose size product overflows 64 bits is an error, not a trap (issue 14's crash).
    @Test func hugeShapesAreRefused() throws {
        for shape in ["(4611686018427387904, 4)", "(9223372036854775807, 2)", "(3037000500, 3037000500, 2)"] {
            var header = "{'descr': '<i4', 'fortran_order': False, 'shape': \(shape), }"
            header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
            let bytes = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + [1, 2, 3, 4]
            #expect(throws: NPYError.self, "shape \(shape)") { try NPY.decode(Data(bytes), path: "huge.npy") }
        }
    }

    /// NumPy itself reads what SpikeForge writes, and SpikeForge reads what NumPy writes
    /// (including Fortran order and version 2.0 headers).
    @Test func interoperatesWithNumPy() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let ours = NPYArray(shape: [2, 3], dtype: .int8, integers: [-128, -1, 0, 1, 2, 127])
        try NPY.encode(ours).write(to: dir.appendingPathComponent("ours.npy"))
        let script = """
        import numpy as np, sys
        d = sys.argv[1]
        a = np.load(d + '/ours.npy')
        assert a.dtype == np.int8 and a.shape == (2, 3) and a.tolist() == [[-128, -1, 0], [1, 2, 127]], a
        np.save(d + '/c.npy', np.arange(12, dtype=np.int16).reshape(3, 4) - 5)
        np.save(d + '/f.npy', np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
        np.lib.format.write_array(open(d + '/v2.npy', 'wb'), np.array([1, -2, 3], dtype=np.int64), version=(2, 0))
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script, dir.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "python3 with numpy failed: \(message)")
        let c = try NPY.read(dir.appendingPathComponent("c.npy").path)
        #expect(c.shape == [3, 4] && c.dtype == .int16 && c.integers == (0 ..< 12).map { Int64($0 - 5) })
        let f = try NPY.read(dir.appendingPathComponent("f.npy").path)
        #expect(f.shape == [2, 3] && f.floats == [0, 1, 2, 3, 4, 5])
        let v2 = try NPY.read(dir.appendingPathComponent("v2.npy").path)
        #expect(v2.integers == [1, -2, 3])
    }
}
