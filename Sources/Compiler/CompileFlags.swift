import SpikeForgeCore

/// The problems of a set of hardware flags, each a line naming the flag, what it held and what
/// was expected; all of them, never only the first.
public struct FlagProblems: Error, Equatable, Sendable {
    public var problems: [String]
    public init(_ problems: [String]) { self.problems = problems }
}

extension CompileOptions {
    /// A mesh as `--mesh` writes it, `COLSxROWS` with each in 1...16, or nil.
    public static func mesh(_ text: String) -> (cols: Int, rows: Int)? {
        let parts = text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
        guard parts.count == 2, let c = parts[0], let r = parts[1], (1 ... 16).contains(c), (1 ... 16).contains(r) else { return nil }
        return (c, r)
    }

    /// What `--mesh` expects, as a problem states it.
    public static let meshExpected = "COLSxROWS with each in 1...16 (e.g. 6x7)"

    /// The options `spikeforge export`'s flags give (`--mesh`, `--policy`, `--set key=value`
    /// over the PE fields), or every problem with them. Keys and types are checked here; the
    /// cross-field rules once the compiler has picked the fields the user left free (a fixed
    /// `vBits` is judged against the chosen threshold). Without `mesh`, the smallest mesh the
    /// model fits on.
    public static func fromFlags(mesh: String?, policy: String, sets: [String]) throws(FlagProblems) -> CompileOptions {
        var problems: [String] = []
        var cols = 6, rows = 7
        if let mesh {
            if let m = Self.mesh(mesh) { (cols, rows) = m } else { problems.append("--mesh: got '\(mesh)', expected \(meshExpected)") }
        }
        let p = PlacementPolicy(rawValue: policy)
        if p == nil { problems.append("--policy: got '\(policy)', expected one of \(PlacementPolicy.allCases.map(\.rawValue).joined(separator: ", "))") }
        var pe = SystemConfig.defaultConfig.pe
        do {
            pe = try ConfigResolver.resolve(PEConfig.self, base: pe, overrides: sets, validating: false)
        } catch {
            problems += error.violations.map { "--set \($0.field): got \($0.value), expected \($0.expected)" }
        }
        let keys = Set(sets.compactMap { $0.split(separator: "=", maxSplits: 1).first.map(String.init) })
        for k in keys.sorted() where k == "cols" || k == "rows" { problems.append("--set \(k): the mesh size comes from --mesh") }
        guard problems.isEmpty, let p else { throw FlagProblems(problems) }
        return CompileOptions(cols: cols, rows: rows, policy: p, pe: pe, fixed: keys, pickMesh: mesh == nil)
    }
}
