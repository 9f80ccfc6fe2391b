import ArgumentParser
import Datasets
import Foundation

/// `--images`, `--generated-test`, `--limit`: the test images of a run (`simulate`, `sweep`).
struct TestImageOptions: ParsableArguments {
    @Option(help: "MNIST directory (the t10k split is used) or .npy dataset directory (x_test.npy, y_test.npy). Without it, the built-in generated test digits.")
    var images: String?
    @Option(name: .customLong("generated-test"), parsing: .unconditional, help: "Generated test images (without --images).") var generatedTest: Int = 2000
    @Option(parsing: .unconditional, help: "Run only the first N images (at each point, in a sweep).") var limit: Int?

    init() {}

    var problems: [String] {
        var p: [String] = []
        if let l = limit, l < 1 { p.append("--limit: got \(l), expected at least 1") }
        if let e = DataOptions.generatedProblem(generatedTest, flag: "--generated-test") { p.append(e) }
        return p
    }

    func load() throws(DatasetError) -> ImageSet { try DataOptions.testImages(images, generated: generatedTest, limit: limit) }

    /// The same images for another run of `spikeforge` (a Slurm task): paths absolute.
    var arguments: [String] {
        var a = images.map { ["--images", URL(fileURLWithPath: $0).standardizedFileURL.path] } ?? ["--generated-test", "\(generatedTest)"]
        if let limit { a += ["--limit", "\(limit)"] }
        return a
    }
}
