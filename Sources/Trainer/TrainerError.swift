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
    /// Images with the right number of values in another shape than the input map (`HxWxC`).
    case imageShape(source: String, got: String, expected: String, arch: String)
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
        case let .imageShape(source, got, expected, arch):
            return "images of \(source) are \(got), but --arch \(arch) expects \(expected) input maps (HxW or HxWxC, as the data's shape)"
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


