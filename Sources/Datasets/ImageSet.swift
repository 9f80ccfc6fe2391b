import Foundation

/// A labelled set of 8-bit images stored flat, one image after the other: the form the
/// trainer and the host driver consume. Pixels are channel-major (CHW) per image, the layout of
/// an architecture's `HxWxC` input; grey images have one channel.
public struct ImageSet: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    /// `count × channels × height × width` pixels: per image, channel by channel, each row-major.
    public var pixels: [UInt8]
    public var labels: [UInt8]
    /// Where the set came from, for messages and manifests ("mnist:DIR/train", "generated:seed=1").
    public var source: String

    /// A set built by code (tests, generated digits); `pixels` must hold `labels.count` images.
    /// Sets read from files go through `checked`, which throws instead.
    public init(width: Int, height: Int, channels: Int = 1, pixels: [UInt8], labels: [UInt8], source: String) {
        precondition(pixels.count == labels.count * width * height * channels, "pixel count does not match labels")
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.labels = labels
        self.source = source
    }

    /// A set read from `path`: the pixel count must match the labels and the image shape, else a
    /// typed error (the loaders check this before, so it only guards the shared invariant).
    public static func checked(width: Int, height: Int, channels: Int = 1, pixels: [UInt8], labels: [UInt8], source: String,
                               path: String) throws(DatasetError) -> ImageSet {
        let (perImage, o1) = width.multipliedReportingOverflow(by: height)
        let (perImage2, o2) = perImage.multipliedReportingOverflow(by: channels)
        let (total, o3) = perImage2.multipliedReportingOverflow(by: labels.count)
        guard width > 0, height > 0, channels > 0, !(o1 || o2 || o3), total == pixels.count else {
            throw .malformed(path: path, reason: "\(pixels.count) pixel values for \(labels.count) labels of \(channels)x\(height)x\(width) images")
        }
        return ImageSet(width: width, height: height, channels: channels, pixels: pixels, labels: labels, source: source)
    }

    public var count: Int { labels.count }
    public var imageSize: Int { width * height * channels }
    /// `H×W` or `H×W×C`, for messages.
    public var shapeText: String { channels == 1 ? "\(height)x\(width)" : "\(height)x\(width)x\(channels)" }

    public func image(_ i: Int) -> ArraySlice<UInt8> { pixels[i * imageSize ..< (i + 1) * imageSize] }

    /// The first `n` images (all of them when `n` is nil or larger than the set).
    public func prefix(_ n: Int?) -> ImageSet {
        guard let n, n < count else { return self }
        return ImageSet(width: width, height: height, channels: channels, pixels: Array(pixels.prefix(n * imageSize)),
                        labels: Array(labels.prefix(n)), source: "\(source)[:\(n)]")
    }

    /// Number of distinct classes (largest label + 1).
    public var classCount: Int { Int(labels.max() ?? 0) + 1 }

    /// Images `indices` of this set, in that order (`source` names the part).
    public func subset(_ indices: [Int], source: String) -> ImageSet {
        var px: [UInt8] = []
        px.reserveCapacity(indices.count * imageSize)
        for i in indices { px += image(i) }
        return ImageSet(width: width, height: height, channels: channels, pixels: px, labels: indices.map { labels[$0] }, source: source)
    }

    /// The split of `--data DIR`: `.npy` arrays when the directory holds any of `npyFiles`
    /// (split `train`, or `test` for MNIST's `t10k`), else MNIST's IDX files.
    public static func load(directory: String, split: String, limit: Int? = nil) throws(DatasetError) -> ImageSet {
        if isNPYDataset(directory) { return try npy(directory: directory, split: split == "t10k" ? "test" : split, limit: limit) }
        return try mnist(directory: directory, split: split, limit: limit)
    }

    /// One MNIST split from a directory holding the standard IDX files, raw or gzip-compressed.
    /// `split`: "train" or "t10k". Every error names the file and what is wrong.
    public static func mnist(directory: String, split: String, limit: Int? = nil) throws(DatasetError) -> ImageSet {
        func find(_ stem: String) throws(DatasetError) -> String {
            for name in ["\(stem).gz", stem] {
                let p = (directory as NSString).appendingPathComponent(name)
                if FileManager.default.fileExists(atPath: p) { return p }
            }
            throw .missing(path: (directory as NSString).appendingPathComponent("\(stem)[.gz]"))
        }
        let imgPath = try find("\(split)-images-idx3-ubyte")
        let lblPath = try find("\(split)-labels-idx1-ubyte")
        let img = try IDX.read(imgPath)
        let lbl = try IDX.read(lblPath)
        guard img.dimensions.count == 3 else {
            throw .malformed(path: imgPath, reason: "\(img.dimensions.count) dimensions \(img.dimensions), expected 3 (count, rows, columns)")
        }
        guard lbl.dimensions.count == 1 else {
            throw .malformed(path: lblPath, reason: "\(lbl.dimensions.count) dimensions \(lbl.dimensions), expected 1 (count)")
        }
        guard img.dimensions[0] == lbl.dimensions[0] else {
            throw .countMismatch(images: imgPath, imageCount: img.dimensions[0], labels: lblPath, labelCount: lbl.dimensions[0])
        }
        guard img.dimensions[0] > 0, img.dimensions[1] > 0, img.dimensions[2] > 0 else { throw .empty(path: imgPath) }
        let n = min(img.dimensions[0], limit ?? .max)
        let size = img.dimensions[1] * img.dimensions[2]
        return try checked(width: img.dimensions[2], height: img.dimensions[1], pixels: Array(img.data.prefix(n * size)),
                           labels: Array(lbl.data.prefix(n)), source: "mnist:\(directory)/\(split)", path: imgPath)
    }
}
