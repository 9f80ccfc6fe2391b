import Foundation
import SpikeForgeCore
import Testing

/// The field tables (`BlockConfig.fields`) that `validate()` checks and `spikeforge blocks`
/// lists: every block's table names exactly its JSON fields, and every listed bound is what
/// validation does: the listed minimum and maximum pass the field's own rule, one beyond fails.
@Suite struct ConfigFieldTests {
    static let blocks: [any BlockConfig.Type] = [
        SatAdderConfig.self, AccumulatorConfig.self, FIFOConfig.self, SRAMConfig.self, ArbiterConfig.self, NeuronConfig.self,
        RouterConfig.self, MeshConfig.self, PEConfig.self, SystemConfig.self,
    ]

    /// The default configuration as a JSON object.
    static func json<C: BlockConfig>(_: C.Type) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(C.defaultConfig)) as? [String: Any])
    }

    /// Dotted names of every leaf of a JSON object (`pe.lanes`).
    static func leaves(_ o: [String: Any], prefix: String = "") -> Set<String> {
        var s = Set<String>()
        for (k, v) in o {
            if let inner = v as? [String: Any] { s.formUnion(leaves(inner, prefix: prefix + k + ".")) } else { s.insert(prefix + k) }
        }
        return s
    }

    /// The default configuration with the field at dotted `name` set to `value`, validated: the
    /// violations of that field.
    static func violations<C: BlockConfig>(_: C.Type, _ name: String, _ value: Any) throws -> [ConfigViolation] {
        var o = try json(C.self)
        func set(_ d: inout [String: Any], _ path: ArraySlice<Substring>) {
            let k = String(path.first!)
            if path.count == 1 {
                d[k] = value
            } else {
                var inner = d[k] as? [String: Any] ?? [:]
                set(&inner, path.dropFirst())
                d[k] = inner
            }
        }
        set(&o, name.split(separator: ".")[...])
        let c = try JSONDecoder().decode(C.self, from: JSONSerialization.data(withJSONObject: o))
        do {
            try c.validate()
            return []
        } catch {
            return error.violations.filter { $0.field == name }
        }
    }

    static func checkTable<C: BlockConfig>(_: C.Type) throws {
        let block = String(describing: C.self)
        let names = C.fields.map(\.name)
        #expect(Set(names) == leaves(try json(C.self)), "\(block): the field table must name every JSON field exactly once")
        #expect(names.count == Set(names).count, "\(block): a field is declared twice")
        for f in C.fields {
            guard let r = f.bounds else { continue }
            let own = { (v: [ConfigViolation]) in v.contains { $0.expected == f.allowed } }
            // A range check anywhere else (a literal that drifted from the table) would say so
            // in the same words: "lo...hi" or "a power of two in lo...hi".
            let rangeLike = { (v: [ConfigViolation]) in v.contains { $0.expected.first?.isNumber == true || $0.expected.hasPrefix("a power of two") } }
            for v in [r.lowerBound, r.upperBound] {
                let got = try violations(C.self, f.name, v)
                #expect(!own(got) && !rangeLike(got), "\(block).\(f.name) = \(v) is listed as allowed (\(f.allowed)) but validate() rejects it: \(got)")
            }
            for v in [r.lowerBound - 1, r.upperBound + 1] {
                #expect(own(try violations(C.self, f.name, v)), "\(block).\(f.name) = \(v) is outside the listed \(f.allowed) but validate() does not say so")
            }
            if case .powerOfTwo = f.rule, let notPower = r.first(where: { $0 & ($0 - 1) != 0 }) {
                #expect(own(try violations(C.self, f.name, notPower)), "\(block).\(f.name) = \(notPower) is not a power of two but validate() accepts it")
            }
        }
    }

    @Test func everyListedBoundIsWhatValidationChecks() throws {
        for b in Self.blocks { try Self.checkTable(b) }
    }

    @Test func choicesAndFlagsAreWhatTheResolverTakes() throws {
        #expect(SRAMConfig.fieldChoices == ["kind": SRAMConfig.Kind.allCases.map(\.rawValue)])
        #expect(NeuronConfig.fieldChoices == ["mode": NeuronConfig.ModeSelect.allCases.map(\.rawValue)])
        for v in SRAMConfig.fieldChoices["kind"] ?? [] { #expect(try ConfigResolver.resolve(SRAMConfig.self, overrides: ["kind=\(v)"]).kind.rawValue == v) }
        for v in NeuronConfig.fieldChoices["mode"] ?? [] { #expect(try ConfigResolver.resolve(NeuronConfig.self, overrides: ["mode=\(v)"]).mode.rawValue == v) }
        #expect(throws: ConfigError.self) { try ConfigResolver.resolve(SRAMConfig.self, overrides: ["kind=triplePort"]) }
        #expect(try ConfigResolver.resolve(PEConfig.self, overrides: ["accumulatedWeights=false"]).accumulatedWeights == false)
        #expect(try ConfigResolver.resolve(MeshConfig.self, overrides: ["splitQueues=false"]).splitQueues == false)
    }

    @Test func listingsCarryTheDefaults() {
        let pe = ConfigFieldListing.of(PEConfig.self)
        #expect(pe.first { $0.field.name == "lanes" }?.defaultValue == "\(PEConfig.defaultConfig.lanes)")
        #expect(pe.first { $0.field.name == "accumulatedWeights" }?.defaultValue == "true")
        let sys = ConfigFieldListing.of(SystemConfig.self)
        #expect(sys.first { $0.field.name == "pe.vBits" }?.defaultValue == "\(SystemConfig.defaultConfig.pe.vBits)")
        #expect(sys.first { $0.field.name == "pe.cols" }?.defaultValue == "6")
        let sram = ConfigFieldListing.of(SRAMConfig.self)
        #expect(sram.map(\.defaultValue) == ["32", "256", "simpleDualPort", "\"\""])
        for l in pe + sys + sram { #expect(l.defaultValue != "?", "\(l.field.name) has no default") }
    }
}
