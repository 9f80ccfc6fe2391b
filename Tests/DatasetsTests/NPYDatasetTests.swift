import Datasets
import Foundation
import Testing

/// `.npy` datasets: the shapes and dtypes that are read, and an error naming the file, with what
/// was got and expected, for every bad input.
@Suite struct NPYDatasetTests {
    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-npyset-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func write(_ a: NPYArray, _ name: String, in dir: URL) throws {
        try NPY.encode(a).write(to: dir.appendingPathComponent(name))
    }

    /// A `.npy` file with any `descr` (complex, bool, strings: types the encoder does not write).
    static func raw(descr: String, shape: String, bytes: [UInt8], _ name: String, in dir: URL) throws {
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        header += String(repeating: " ", count: (64 - (10 + header.utf8.count + 1) % 64) % 64) + "\n"
        let b = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.utf8.count), 0] + Array(header.utf8) + bytes
        try Data(b).write(to: dir.appendingPathComponent(name))
    }

    static func labels(_ v: [Int64], _ t: NPYDType = .int64) -> NPYArray { NPYArray(shape: [v.count], dtype: t, integers: v) }

    static func path(_ dir: URL, _ name: String) -> String { (dir.path as NSString).appendingPathComponent(name) }

    @Test func readsGreyImagesAndEveryIntegerLabelType() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write(NPYArray(shape: [3, 2, 2], dtype: .uint8, integers: (0 ..< 12).map(Int64.init)), "x_test.npy", in: dir)
        for t in NPYDType.allCases where !t.isFloat {
            try Self.write(Self.labels([2, 0, 1], t), "y_test.npy", in: dir)
            let s = try ImageSet.load(directory: dir.path, split: "t10k")
            #expect(s.count == 3 && s.width == 2 && s.height == 2 && s.channels == 1, "\(t)")
            #expect(s.labels == [2, 0, 1] && Array(s.image(1)) == [4, 5, 6, 7])
            #expect(s.source == "npy:\(dir.path)/test")
        }
        #expect(try ImageSet.load(directory: dir.path, split: "t10k", limit: 2).count == 2)
    }

    /// `(N, H, W, C)` becomes CHW per image; `(N, D)` an image of height 1 and width D.
    @Test func channelsLastBecomeChannelMajorAndVectorsAreOneRow() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Image 0: pixel (y, x) channel c = 100c + 10y + x; image 1 the same + 1.
        var v: [Int64] = []
        for i in 0 ..< 2 { for y in 0 ..< 2 { for x in 0 ..< 3 { for c in 0 ..< 2 { v.append(Int64(100 * c + 10 * y + x + i)) } } } }
        try Self.write(NPYArray(shape: [2, 2, 3, 2], dtype: .uint8, integers: v), "x_train.npy", in: dir)
        try Self.write(Self.labels([1, 0]), "y_train.npy", in: dir)
        let s = try ImageSet.load(directory: dir.path, split: "train")
        #expect(s.channels == 2 && s.height == 2 && s.width == 3 && s.shapeText == "2x3x2")
        #expect(Array(s.image(1)) == [1, 2, 3, 11, 12, 13, 101, 102, 103, 111, 112, 113])
        try Self.write(NPYArray(shape: [2, 5], dtype: .uint8, integers: (0 ..< 10).map(Int64.init)), "x_train.npy", in: dir)
        let f = try ImageSet.load(directory: dir.path, split: "train")
        #expect(f.height == 1 && f.width == 5 && f.channels == 1 && Array(f.image(1)) == [5, 6, 7, 8, 9])
    }

    /// Floats in [0, 1] become round(255 · v), half away from zero.
    @Test(arguments: [NPYDType.float32, .float64]) func floatImagesAreScaled(_ t: NPYDType) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write(NPYArray(shape: [1, 1, 4], dtype: t, floats: [0, 1, 0.5, 0.25]), "x_test.npy", in: dir)
        try Self.write(Self.labels([3], .uint8), "y_test.npy", in: dir)
        #expect(Array(try ImageSet.load(directory: dir.path, split: "t10k").image(0)) == [0, 255, 128, 64])
    }

    /// A command that needs only the test split needs only its files.
    @Test func theTestSplitAloneIsEnough() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.write(NPYArray(shape: [1, 2], dtype: .uint8, integers: [1, 2]), "x_test.npy", in: dir)
        try Self.write(Self.labels([0]), "y_test.npy", in: dir)
        #expect(try ImageSet.load(directory: dir.path, split: "t10k").count == 1)
        #expect(throws: DatasetError.several([.missing(path: Self.path(dir, "x_train.npy")), .missing(path: Self.path(dir, "y_train.npy"))])) {
            try ImageSet.load(directory: dir.path, split: "train")
        }
    }

    @Test func badArraysSayWhatWasGotAndExpected() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = Self.path(dir, "x_test.npy"), y = Self.path(dir, "y_test.npy")
        func load() throws(DatasetError) { _ = try ImageSet.load(directory: dir.path, split: "t10k") }
        func expect(_ e: DatasetError, _ message: String, sourceLocation: SourceLocation = #_sourceLocation) {
            #expect(throws: e, sourceLocation: sourceLocation) { try load() }
            do { try load() } catch { #expect(error.description.contains(message), "\(error.description)", sourceLocation: sourceLocation) }
        }
        let good = NPYArray(shape: [2, 2, 2], dtype: .uint8, integers: [0, 1, 2, 3, 4, 5, 6, 7])
        try Self.write(good, "x_test.npy", in: dir)
        // Missing labels.
        expect(.missing(path: y), "not found")
        // Counts that disagree.
        try Self.write(Self.labels([0, 1, 2]), "y_test.npy", in: dir)
        expect(.countMismatch(images: x, imageCount: 2, labels: y, labelCount: 3), "holds 2 images but")
        // Negative and too large labels: the first named, the rest counted.
        try Self.write(Self.labels([-1, 300]), "y_test.npy", in: dir)
        expect(.labelRange(path: y, index: 0, value: -1, bad: 2), "label -1 at index 0 (and 1 more), expected labels in 0...255")
        // Float labels; labels of two dimensions.
        try Self.write(NPYArray(shape: [2], dtype: .float32, floats: [0, 1]), "y_test.npy", in: dir)
        expect(.dtype(path: y, got: "<f4", expected: "an integer dtype (|i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8)"), "dtype <f4, expected an integer dtype")
        try Self.write(NPYArray(shape: [2, 1], dtype: .uint8, integers: [0, 1]), "y_test.npy", in: dir)
        expect(.shape(path: y, got: [2, 1], expected: "(N,): one integer label per image"), "shape [2, 1]")
        try Self.write(Self.labels([0, 1]), "y_test.npy", in: dir)
        // Image dtypes: int16, complex, bool, strings.
        try Self.write(NPYArray(shape: [2, 1], dtype: .int16, integers: [0, 1]), "x_test.npy", in: dir)
        expect(.dtype(path: x, got: "<i2", expected: "|u1 (uint8 pixels), or <f4/<f8 (float32/float64 in [0, 1])"), "dtype <i2, expected |u1")
        for (descr, size) in [("<c8", 8), ("|b1", 1), ("<U1", 4), ("|S2", 2)] {
            try Self.raw(descr: descr, shape: "(2, 1)", bytes: [UInt8](repeating: 0, count: 2 * size), "x_test.npy", in: dir)
            #expect(throws: DatasetError.self) { try load() }
            do { try load() } catch {
                guard case let .npy(e) = error else { Issue.record("\(descr): \(error)"); continue }
                #expect(e.description.contains("dtype '\(descr)', expected one of"), "\(e)")
            }
        }
        // ndim 1 and 5; a zero dimension; no images.
        try Self.write(NPYArray(shape: [2], dtype: .uint8, integers: [0, 1]), "x_test.npy", in: dir)
        expect(.shape(path: x, got: [2], expected: "(N, H, W), (N, H, W, C) or (N, D) with N, H, W, C, D ≥ 1"), "shape [2], expected (N, H, W)")
        try Self.write(NPYArray(shape: [2, 1, 1, 1, 1], dtype: .uint8, integers: [0, 1]), "x_test.npy", in: dir)
        expect(.shape(path: x, got: [2, 1, 1, 1, 1], expected: "(N, H, W), (N, H, W, C) or (N, D) with N, H, W, C, D ≥ 1"), "shape [2, 1, 1, 1, 1]")
        try Self.write(NPYArray(shape: [2, 0, 3], dtype: .uint8, integers: []), "x_test.npy", in: dir)
        expect(.shape(path: x, got: [2, 0, 3], expected: "(N, H, W), (N, H, W, C) or (N, D) with N, H, W, C, D ≥ 1"), "shape [2, 0, 3]")
        try Self.write(NPYArray(shape: [0, 2, 2], dtype: .uint8, integers: []), "x_test.npy", in: dir)
        try Self.write(Self.labels([]), "y_test.npy", in: dir)
        expect(.several([.empty(path: x), .empty(path: y)]), "holds no images; expected at least one")
        try Self.write(Self.labels([0, 1]), "y_test.npy", in: dir)
        // Floats outside [0, 1], NaN.
        try Self.write(NPYArray(shape: [2, 2], dtype: .float64, floats: [0.5, 1.5, .nan, -0.1]), "x_test.npy", in: dir)
        expect(.pixelRange(path: x, index: 1, value: 1.5, bad: 3), "value 1.5 at flat index 1 (and 2 more), expected float pixels in [0, 1]")
        // Not a .npy file.
        try Data("hello".utf8).write(to: URL(fileURLWithPath: x))
        expect(.npy(.malformed(path: x, reason: "missing the \\x93NUMPY magic string")), "is not a valid .npy file")
        // A uint64 label above Int64.max.
        try Self.write(good, "x_test.npy", in: dir)
        try Self.raw(descr: "<u8", shape: "(2,)", bytes: [0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0xFF, count: 8), "y_test.npy", in: dir)
        expect(.npy(.outOfRange(path: y, value: "18446744073709551615", dtype: "<u8")), "does not fit dtype <u8")
    }

    /// Every problem of both files at once.
    @Test func everyProblemIsListed() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let x = Self.path(dir, "x_train.npy"), y = Self.path(dir, "y_train.npy")
        try Self.write(NPYArray(shape: [1, 2], dtype: .float32, floats: [2, 0]), "x_train.npy", in: dir)
        try Self.write(Self.labels([-5, 1]), "y_train.npy", in: dir)
        #expect(throws: DatasetError.several([.pixelRange(path: x, index: 0, value: 2, bad: 1), .labelRange(path: y, index: 0, value: -5, bad: 1),
                                              .countMismatch(images: x, imageCount: 1, labels: y, labelCount: 2)])) {
            try ImageSet.load(directory: dir.path, split: "train")
        }
    }

    /// The size field alone allocates nothing: a header promising 2^62 elements is refused.
    @Test func hugeHeadersAreRefused() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.raw(descr: "|u1", shape: "(4611686018427387904, 8, 8)", bytes: [1, 2, 3], "x_test.npy", in: dir)
        try Self.write(Self.labels([0]), "y_test.npy", in: dir)
        #expect(throws: DatasetError.self) { try ImageSet.load(directory: dir.path, split: "t10k") }
    }
}
