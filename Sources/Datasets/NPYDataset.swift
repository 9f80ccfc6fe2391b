import Foundation
import SpikeForgeCore

/// `.npy` datasets: `x_train.npy`, `y_train.npy`, `x_test.npy`, `y_test.npy` in one directory
/// (docs/TRAINING.md, "Datasets").
///
/// - Images: `(N, H, W)` grey, `(N, H, W, C)` channels last (converted to SpikeForge's CHW), or
///   `(N, D)` flat vectors (an image of height 1 and width D). `uint8` as they are, or
///   `float32`/`float64` in [0, 1], scaled to `round(255 · v)` (half away from zero).
/// - Labels: `(N,)` of any integer dtype, each in 0…255 (the architecture's output layer
///   bounds them further: `Architecture.check`).
///
/// A file is read only when it fits this machine's memory (`MemoryBudget`, counting the
/// decoded values), and nothing is allocated from a header before the file's size confirms it.
extension ImageSet {
    /// The names of a `.npy` dataset's files; a directory holding any of them is read as one.
    public static let npyFiles = ["x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"]

    /// Whether `directory` holds a `.npy` dataset (any of `npyFiles`).
    public static func isNPYDataset(_ directory: String) -> Bool {
        npyFiles.contains { FileManager.default.fileExists(atPath: (directory as NSString).appendingPathComponent($0)) }
    }

    /// One split (`train` or `test`) of a `.npy` dataset, checked completely: every problem of
    /// both files is listed at once.
    public static func npy(directory: String, split: String, limit: Int? = nil) throws(DatasetError) -> ImageSet {
        let xPath = (directory as NSString).appendingPathComponent("x_\(split).npy")
        let yPath = (directory as NSString).appendingPathComponent("y_\(split).npy")
        var problems: [DatasetError] = []
        var x: NPYArray?, y: NPYArray?
        do { x = try readArray(xPath) } catch { problems.append(error) }
        do { y = try readArray(yPath) } catch { problems.append(error) }
        var images: (shape: FeatureShapeText, pixels: [UInt8])?
        if let x { do { images = try pixels(x, path: xPath) } catch { problems.append(error) } }
        var labels: [UInt8]?
        if let y { do { labels = try labelValues(y, path: yPath) } catch { problems.append(error) } }
        if let x, let y, let nx = x.shape.first, let ny = y.shape.first, nx != ny {
            problems.append(.countMismatch(images: xPath, imageCount: nx, labels: yPath, labelCount: ny))
        }
        if let images, let labels, problems.isEmpty {
            let n = min(labels.count, limit ?? .max)
            let s = images.shape
            do {
                return try checked(width: s.width, height: s.height, channels: s.channels, pixels: Array(images.pixels.prefix(n * s.width * s.height * s.channels)),
                                   labels: Array(labels.prefix(n)), source: "npy:\(directory)/\(split)", path: xPath)
            } catch { problems.append(error) }
        }
        if problems.count == 1 { throw problems[0] }
        throw .several(problems)
    }

    /// Height, width and channels of one image.
    struct FeatureShapeText { var height: Int, width: Int, channels: Int }

    /// Reads and decodes one array, refusing a file that would not fit in memory once decoded
    /// (every element becomes 8 bytes, and the pixels are copied once more).
    static func readArray(_ path: String) throws(DatasetError) -> NPYArray {
        var st = stat()
        guard stat(path, &st) == 0 else { throw .missing(path: path) }
        let bytes = Double(st.st_size)
        if let p = MemoryBudget.problem(needs: bytes * 10, for: "reading \(Int(st.st_size)) bytes (decoded: up to 8 bytes per element)") {
            throw .memory(path: path, reason: p)
        }
        let d: Data
        do { d = try FileRead.bounded(URL(fileURLWithPath: path), limit: Int(st.st_size) + 65_536) } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        do { return try NPY.decode(d, path: path) } catch { throw .npy(error) }
    }

    static let imageShapes = "(N, H, W), (N, H, W, C) or (N, D) with N, H, W, C, D ≥ 1"

    /// The pixels of `x` in CHW order per image, and the image's shape.
    static func pixels(_ x: NPYArray, path: String) throws(DatasetError) -> (shape: FeatureShapeText, pixels: [UInt8]) {
        guard x.dtype == .uint8 || x.dtype.isFloat else {
            throw .dtype(path: path, got: x.dtype.descr, expected: "|u1 (uint8 pixels), or <f4/<f8 (float32/float64 in [0, 1])")
        }
        guard (2 ... 4).contains(x.shape.count), x.shape.allSatisfy({ $0 >= 1 }) else {
            if x.shape.count >= 2, x.shape[0] == 0 { throw .empty(path: path) }
            throw .shape(path: path, got: x.shape, expected: imageShapes)
        }
        let n = x.shape[0]
        let s = x.shape.count == 2 ? FeatureShapeText(height: 1, width: x.shape[1], channels: 1)
            : FeatureShapeText(height: x.shape[1], width: x.shape[2], channels: x.shape.count == 4 ? x.shape[3] : 1)
        var values: [UInt8]
        if x.dtype.isFloat {
            var bad = 0, first = 0, firstValue = 0.0
            values = [UInt8](repeating: 0, count: x.floats.count)
            for (i, v) in x.floats.enumerated() {
                guard v >= 0, v <= 1 else { // NaN fails both
                    if bad == 0 { first = i; firstValue = v }
                    bad += 1
                    continue
                }
                values[i] = UInt8((v * 255).rounded())
            }
            if bad > 0 { throw .pixelRange(path: path, index: first, value: firstValue, bad: bad) }
        } else {
            values = x.integers.map { UInt8(truncatingIfNeeded: $0) } // uint8: 0...255
        }
        guard s.channels > 1 else { return (s, values) }
        // HWC → CHW, image by image.
        var chw = [UInt8](repeating: 0, count: values.count)
        let size = s.height * s.width * s.channels, plane = s.height * s.width
        for i in 0 ..< n {
            let base = i * size
            for p in 0 ..< plane {
                for c in 0 ..< s.channels { chw[base + c * plane + p] = values[base + p * s.channels + c] }
            }
        }
        return (s, chw)
    }

    /// The labels of `y`: integers in 0…255.
    static func labelValues(_ y: NPYArray, path: String) throws(DatasetError) -> [UInt8] {
        guard !y.dtype.isFloat else {
            throw .dtype(path: path, got: y.dtype.descr, expected: "an integer dtype (|i1, |u1, <i2, <u2, <i4, <u4, <i8, <u8)")
        }
        guard y.shape.count == 1 else { throw .shape(path: path, got: y.shape, expected: "(N,): one integer label per image") }
        guard y.shape[0] >= 1 else { throw .empty(path: path) }
        var bad = 0, first = 0, firstValue: Int64 = 0
        for (i, v) in y.integers.enumerated() where !(0 ... 255).contains(v) {
            if bad == 0 { first = i; firstValue = v }
            bad += 1
        }
        if bad > 0 { throw .labelRange(path: path, index: first, value: firstValue, bad: bad) }
        return y.integers.map { UInt8(truncatingIfNeeded: $0) }
    }
}
