import SpikeForgeCore

/// Why a model cannot become a system, or a system file or image set cannot be used. Every case
/// lists all the problems found, each with what was got and what was expected.
public enum CompileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The model needs more than the hardware has (tiles, neurons, weight rows, axons, layers).
    case doesNotFit(model: String, mesh: String, violations: [ConfigViolation])
    /// A fixed `vBits`/`zBits`/`thresholdBits` too small for the range analysis' bounds.
    case rangeOverflow(violations: [ConfigViolation])
    /// The hardware configuration itself is invalid.
    case hardware(ConfigError)
    /// A system file or image set that is unreadable, corrupted or for other hardware.
    case file(path: String, problems: [String])

    public var description: String {
        func list(_ v: [String]) -> String { v.map { "  - \($0)" }.joined(separator: "\n") }
        func plural(_ n: Int, _ w: String) -> String { "\(n) \(w)\(n == 1 ? "" : "s")" }
        switch self {
        case let .doesNotFit(model, mesh, v):
            return "model \(model) does not fit the \(mesh) system (\(plural(v.count, "problem"))):\n" + list(v.map(\.description))
        case let .rangeOverflow(v):
            return "range analysis: the fixed widths cannot hold the bounds, so saturation could break equivalence (\(plural(v.count, "problem"))):\n"
                + list(v.map(\.description))
        case let .hardware(e): return e.description
        case let .file(path, problems):
            return "'\(path)' cannot be used (\(plural(problems.count, "problem"))):\n" + list(problems)
        }
    }
}
