import Datasets
import Foundation
import SpikeForgeCore

/// Why training, evaluation or a model file failed. Each case names the file or flag and lists
/// every problem found, with what was got and what was expected.
public enum TrainerError: Error, Equatable, CustomStringConvertible {
    /// `--arch` text that is not a list of positive layer sizes.
    case badArchitecture(text: String, problems: [String])
    /// Images whose size does not match the input layer.
    case imageSize(source: String, got: Int, expected: Int, arch: String)
    /// Labels the output layer cannot represent.
    case labelRange(source: String, maxLabel: Int, outputs: Int)
    /// A model directory whose manifest or tensors are missing or do not agree.
    case model(directory: String, problems: [String])
    /// A training checkpoint that is missing, damaged, or not of this run (configuration, data).
    case checkpoint(directory: String, problems: [String])
    case dataset(DatasetError)
    case npy(NPYError)
    case output(OutputError)
    case config(ConfigError)

    public var description: String {
        switch self {
        case let .badArchitecture(text, problems):
            return "invalid --arch '\(text)' (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        case let .imageSize(source, got, expected, arch):
            return "images of \(source) have \(got) pixels, but --arch \(arch) expects \(expected) inputs"
        case let .labelRange(source, maxLabel, outputs):
            return "\(source) has label \(maxLabel), but the output layer has only \(outputs) neurons (labels 0…\(outputs - 1))"
        case let .model(dir, problems):
            return "model '\(dir)' is not usable (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        case let .checkpoint(dir, problems):
            return "checkpoint '\(dir)' cannot be resumed (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
                + problems.map { "  - \($0)" }.joined(separator: "\n")
        case let .dataset(e): return e.description
        case let .npy(e): return e.description
        case let .output(e): return e.description
        case let .config(e): return e.description
        }
    }
}

/// Layer sizes from the input to the output, as in `784-800-10`.
public struct Architecture: Hashable, Sendable, Codable, CustomStringConvertible {
    public var sizes: [Int]

    public init(_ sizes: [Int]) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 })
        self.sizes = sizes
    }

    public var description: String { sizes.map(String.init).joined(separator: "-") }
    public var inputs: Int { sizes[0] }
    public var outputs: Int { sizes[sizes.count - 1] }
    public var layerCount: Int { sizes.count - 1 }

    /// Parses `N-N-…-N`, listing every part that is wrong.
    public static func parse(_ text: String) throws(TrainerError) -> Architecture {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        var problems: [String] = []
        var sizes: [Int] = []
        for (k, p) in parts.enumerated() {
            let t = p.trimmingCharacters(in: .whitespaces)
            if let n = Int(t), (1 ... IntegerModel.maxLayerSize).contains(n) { sizes.append(n) }
            else if let n = Int(t) { problems.append("size \(k + 1) is \(n), expected 1...\(IntegerModel.maxLayerSize)") }
            else { problems.append("size \(k + 1) is '\(t)', expected a positive integer") }
        }
        if parts.count < 2 { problems.append("got \(parts.count) size\(parts.count == 1 ? "" : "s"), expected at least 2 (inputs-…-outputs)") }
        if parts.count > IntegerModel.maxLayers + 1 { problems.append("got \(parts.count) sizes, expected at most \(IntegerModel.maxLayers + 1) (\(IntegerModel.maxLayers) layers)") }
        for (k, (a, b)) in zip(sizes, sizes.dropFirst()).enumerated() where a * b > IntegerModel.maxSynapses {
            problems.append("layer \(k + 1) (\(a)-\(b)) has \(a * b) synapses, expected at most \(IntegerModel.maxSynapses) (2^28)")
        }
        if !problems.isEmpty { throw .badArchitecture(text: text, problems: problems) }
        return Architecture(sizes)
    }

    /// Checks that a dataset fits this architecture.
    public func check(_ set: ImageSet) throws(TrainerError) {
        guard set.count > 0 else { throw .dataset(.empty(path: set.source)) }
        guard set.imageSize == inputs else { throw .imageSize(source: set.source, got: set.imageSize, expected: inputs, arch: description) }
        let maxLabel = Int(set.labels.max() ?? 0)
        guard maxLabel < outputs else { throw .labelRange(source: set.source, maxLabel: maxLabel, outputs: outputs) }
    }
}

