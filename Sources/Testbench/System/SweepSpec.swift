import Compiler
import Foundation
import SpikeForgeCore
import Trainer

/// One swept PE field and its values, as `--set FIELD=v1,v2,...` gives them.
public struct SweepParameter: Codable, Hashable, Sendable {
    public var field: String
    public var values: [String]
    public init(field: String, values: [String]) {
        self.field = field
        self.values = values
    }
}

/// One point of a sweep: a mesh, a policy and one value of every swept field.
public struct SweepPoint: Codable, Hashable, Sendable, CustomStringConvertible {
    /// 1-based, in `SweepSpec.points`' order.
    public var index: Int
    /// `COLSxROWS`, or nil for the smallest mesh the model fits on.
    public var mesh: String?
    public var policy: String
    /// `field=value`, in the order of the spec's parameters.
    public var settings: [String]

    public var description: String { (settings + ["mesh=\(mesh ?? "smallest")", "policy=\(policy)"]).joined(separator: " ") }

    /// The compiler's options for this point, through `spikeforge export`'s flags.
    public func options() throws(FlagProblems) -> CompileOptions { try CompileOptions.fromFlags(mesh: mesh, policy: policy, sets: settings) }
}

/// What a sweep runs: the swept PE fields, meshes and policies, and what each point runs on
/// (model, images, engine, loading), identified together by `digest`, which every point file
/// carries so that points of different sweeps are never collected together.
public struct SweepSpec: Codable, Hashable, Sendable {
    public static let maxPoints = 1000

    public var parameters: [SweepParameter]
    /// Empty: the smallest mesh the model fits on, at every point.
    public var meshes: [String]
    public var policies: [String]
    public var engine: String
    public var load: String
    /// The model's digest (`IntegerModel.digest`) and the images' (SHA-256 of size, pixels, labels).
    public var model: String
    public var images: String

    /// The points, in the order of nested loops: mesh outermost, then policy, then each swept
    /// field in the order of the `--set` flags, the last one varying fastest. Point K is
    /// `points[K - 1]`.
    public var points: [SweepPoint] {
        var out: [SweepPoint] = []
        for mesh in meshes.isEmpty ? [nil] : meshes.map(Optional.some) {
            for policy in policies {
                var combos: [[String]] = [[]]
                for p in parameters { combos = combos.flatMap { c in p.values.map { c + ["\(p.field)=\($0)"] } } }
                for c in combos { out.append(SweepPoint(index: out.count + 1, mesh: mesh, policy: policy, settings: c)) }
            }
        }
        return out
    }

    public var count: Int { max(1, meshes.count) * policies.count * parameters.map(\.values.count).reduce(1, *) }

    /// SHA-256 of the spec's canonical JSON.
    public var digest: String { Checksum.sha256(Data(((try? CanonicalJSON.encode(self)) ?? "").utf8)) }

    /// The spec from the sweep's flags (`sets`: `FIELD=v1,v2,...`; each of `meshes` and `policies`
    /// a comma-separated list), or every problem with them: syntax, fields the PE does not have
    /// (with the known ones), `cols`/`rows` (from `--mesh`), empty lists, duplicates, values
    /// outside a field's own range, meshes and policies that do not parse, too many points.
    public static func parse(sets: [String], meshes: [String], policies: [String], engine: String, load: String,
                             model: String, images: String) throws(SweepError) -> SweepSpec {
        var problems: [String] = []
        var parameters: [SweepParameter] = []
        let known = PEConfig.fields.map(\.name).filter { $0 != "cols" && $0 != "rows" }
        for s in sets {
            guard let eq = s.firstIndex(of: "="), eq != s.startIndex else {
                problems.append("--set \(s): expected FIELD=v1,v2,... (e.g. lanes=2,4,8)")
                continue
            }
            let field = String(s[..<eq])
            let values = list(String(s[s.index(after: eq)...]), flag: "--set \(field)", problems: &problems).map(normalized)
            if field == "cols" || field == "rows" {
                problems.append("--set \(field): the mesh size comes from --mesh")
            } else if let f = PEConfig.fields.first(where: { $0.name == field }) {
                if parameters.contains(where: { $0.field == field }) { problems.append("--set \(field): given more than once; list its values in one --set") }
                for v in values { problems += valueProblems(f, v) }
                parameters.append(SweepParameter(field: field, values: values))
            } else {
                let hint = closest(field, in: known).map { " (did you mean \($0)?)" } ?? ""
                problems.append("--set \(field): not a PE field\(hint); known fields: \(known.joined(separator: ", "))")
            }
        }
        let meshList = meshes.flatMap { list($0, flag: "--mesh", problems: &problems) }.map { $0.lowercased() }
        for m in meshList where CompileOptions.mesh(m) == nil { problems.append("--mesh: got '\(m)', expected \(CompileOptions.meshExpected)") }
        let policyList = policies.flatMap { list($0, flag: "--policy", problems: &problems) }
        let names = PlacementPolicy.allCases.map(\.rawValue)
        for p in policyList where !names.contains(p) { problems.append("--policy: got '\(p)', expected one of \(names.joined(separator: ", "))") }
        if policyList.isEmpty && !policies.isEmpty { problems.append("--policy: no policy given") }
        problems += duplicates(meshList.compactMap { CompileOptions.mesh($0).map { "\($0.cols)x\($0.rows)" } }, flag: "--mesh")
        problems += duplicates(policyList, flag: "--policy")
        let spec = SweepSpec(parameters: parameters, meshes: meshList.compactMap { CompileOptions.mesh($0).map { "\($0.cols)x\($0.rows)" } },
                             policies: policyList.isEmpty ? [PlacementPolicy.spread.rawValue] : policyList, engine: engine, load: load, model: model, images: images)
        // Saturating: a product past Int.max is "too many", never a wrapped small number.
        let n = ([max(1, meshList.count), max(1, policyList.count)] + parameters.map { max(1, $0.values.count) }).reduce(1) { a, b in
            let (m, o) = a.multipliedReportingOverflow(by: b)
            return o ? Int.max : m
        }
        if n > maxPoints { problems.append("the sweep has \(n) points, expected at most \(maxPoints): sweep fewer values") }
        if !problems.isEmpty { throw .invalidSweep(problems: problems) }
        return spec
    }

    /// The comma-separated items of `text`, each trimmed; an empty item, an empty list and a
    /// repeated item are problems.
    static func list(_ text: String, flag: String, problems: inout [String]) -> [String] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        if items.allSatisfy(\.isEmpty) {
            problems.append("\(flag): got '\(text)', expected a comma-separated list of at least one value")
            return []
        }
        if items.contains(where: \.isEmpty) { problems.append("\(flag): got '\(text)', expected no empty value in the list") }
        let kept = items.filter { !$0.isEmpty }
        if flag.hasPrefix("--set") { problems += duplicates(kept.map(normalized), flag: flag) }
        return kept
    }

    /// An integer written without leading zeros or sign, so that `04` and `4` are one value.
    static func normalized(_ v: String) -> String { Int(v).map(String.init) ?? v }

    static func duplicates(_ items: [String], flag: String) -> [String] {
        var seen: Set<String> = [], reported: Set<String> = []
        var out: [String] = []
        for i in items where !seen.insert(i).inserted && reported.insert(i).inserted { out.append("\(flag): '\(i)' is listed more than once") }
        return out
    }

    /// A value judged by its field alone (type, choices, the field's own range).
    static func valueProblems(_ f: ConfigField, _ v: String) -> [String] {
        do {
            let pe = try ConfigResolver.resolve(PEConfig.self, base: SystemConfig.defaultConfig.pe, overrides: ["\(f.name)=\(v)"], validating: false)
            return pe.fieldViolations().filter { $0.field == f.name }.map { "--set \(f.name): got \($0.value), expected \($0.expected)" }
        } catch {
            return error.violations.map { "--set \(f.name): got \($0.value), expected \($0.expected)" }
        }
    }

    /// The known name nearest to `name` (case-insensitive edit distance at most a third of its length).
    static func closest(_ name: String, in known: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0 ... b.count)
            for i in 1 ... max(1, a.count) where !a.isEmpty {
                var next = [i] + Array(repeating: 0, count: b.count)
                for j in 1 ... max(1, b.count) where !b.isEmpty {
                    next[j] = min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                }
                row = next
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let scored = known.map { ($0, distance(Array(name.lowercased()), Array($0.lowercased()))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 3) else { return nil }
        return best.0
    }
}
