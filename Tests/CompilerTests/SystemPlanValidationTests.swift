import Compiler
import Foundation
import SpikeForgeCore
import Testing
import Trainer

/// `system.json` through the decoding layer: every fault of the issue's list is a listed error
/// naming the field, what it held and what was expected; a plan that decodes but is not what
/// the compiler makes of its model is refused with the differing fields.
@Suite struct SystemPlanValidationTests {
    static let model = CompilerTests.dense([16, 12, 4])

    static func plan(_ policy: PlacementPolicy = .spread) throws -> SystemPlan {
        try Compiler.compile(model, CompileOptions(cols: 2, rows: 2, policy: policy, pe: CompilerTests.pe))
    }

    /// The plan's JSON, edited as a tree, written to a temporary file and loaded.
    static func load(editing edit: (inout [String: Any]) -> Void) throws -> Result<SystemPlan, CompileError> {
        var tree = try #require(try JSONSerialization.jsonObject(with: Data(try plan().json().utf8)) as? [String: Any])
        edit(&tree)
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sf-plan-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: url) }
        try JSONSerialization.data(withJSONObject: tree).write(to: url)
        do { return .success(try SystemPlan.load(url)) } catch { return .failure(error) }
    }

    static func problems(editing edit: (inout [String: Any]) -> Void) throws -> [String] {
        switch try load(editing: edit) {
        case .success: return []
        case let .failure(.file(_, problems)): return problems
        case let .failure(e): return ["unexpected error kind: \(e)"]
        }
    }

    static func set(_ tree: inout [String: Any], _ path: [String], _ value: Any?) {
        guard let key = path.first else { return }
        if path.count == 1 { tree[key] = value; return }
        if let index = Int(path[1]), var array = tree[key] as? [Any], array.indices.contains(index), var sub = array[index] as? [String: Any] {
            set(&sub, Array(path.dropFirst(2)), value)
            array[index] = sub
            tree[key] = array
        } else if var sub = tree[key] as? [String: Any] {
            set(&sub, Array(path.dropFirst()), value)
            tree[key] = sub
        }
    }

    @Test func aValidPlanLoadsBackEqual() throws {
        let p = try Self.plan()
        guard case let .success(loaded) = try Self.load(editing: { _ in }) else { Issue.record("a valid plan was refused"); return }
        #expect(loaded == p)
        #expect(p.problems().isEmpty)
        #expect(p.problems(against: Self.model).isEmpty)
    }

    /// Three decoding faults in one file: all three are listed, not only the first.
    @Test func everyStructuralFaultIsListed() throws {
        let p = try Self.problems { t in
            Self.set(&t, ["system", "pe", "lanes"], "four")
            Self.set(&t, ["layers", "0", "mode"], "bogus")
            Self.set(&t, ["tiles", "0", "colour"], "red")
            Self.set(&t, ["input"], nil)
        }
        #expect(p.count == 4, "\(p)")
        #expect(p.contains { $0.hasPrefix("system.pe.lanes: got 'four', expected a number") })
        #expect(p.contains { $0.hasPrefix("layers[0].mode: got 'bogus', expected one of") })
        #expect(p.contains { $0.hasPrefix("tiles[0].colour: unknown field") })
        #expect(p.contains { $0.hasPrefix("input: missing") })
    }

    /// The faults the issue found crashing or silently accepted, each refused with its field.
    @Test(arguments: [
        ("system.pe.outFIFODepth", "0", "system.pe.outFIFODepth: got 0"),
        ("system.pe.inFIFODepth", "-3", "system.pe.inFIFODepth: got -3"),
        ("system.pe.lanes", "0", "system.pe.lanes: got 0"),
        ("system.pe.flitWidth", "1099511627776", "system.pe.flitWidth: got 1099511627776"),
        ("system.pe.cols", "1000000000", "system.pe.cols: got 1000000000"),
        ("tiles.0.slices.0.neuronHi", "1000000000", "neurons 0..<1000000000"),
        ("tiles.0.slices.0.layer", "7", "layer: got 7"),
        ("tiles.1.slices.0.inputLo", "-5", "inputs -5..<"),
        ("layers.1.isOutput", "false", "layers[1] (fc2).isOutput: got false, expected true"),
        ("layers.0.threshold", "9223372036854775807", "layers[0] (fc1).threshold: got 9223372036854775807"),
        ("layers.0.axonBase", "3", "layers[0] (fc1).axonBase: got 3, expected 0"),
        ("input.x1", "9", "input: got"),
        ("formatVersion", "2", "formatVersion: got 2, expected 1"),
        // Found by tools/mutate (they trapped in the checks themselves before).
        ("tiles.1.slices.0.inputLo", "-9223372036854775808", "inputs -9223372036854775808..<"),
        ("system.pe.wBits", "9223372036854775807", "system.pe.wBits: got 9223372036854775807, expected 2...16"),
        ("system.pe.lanes", "9223372036854775807", "system.pe.lanes: got 9223372036854775807"),
        ("layers.0.outputs", "-5", "layers[0] (fc1).outputs: got -5"),
        // Found in review: trapped inside PEConfig.validate() and in the unordered input rectangle.
        ("system.pe.weightWordBits", "9223372036854775807", "system.pe.weightWordBits: got 9223372036854775807"),
        ("input.y0", "-1", "input: got"),
    ])
    func faultIsRefusedWithItsField(path: String, json: String, expected: String) throws {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8), options: .fragmentsAllowed)
        let p = try Self.problems { Self.set(&$0, path.split(separator: ".").map(String.init), value) }
        #expect(p.contains { $0.contains(expected) }, "\(path) = \(json): \(p)")
    }

    @Test func aMissingLayerOrTileIsRefused() throws {
        let noLayer = try Self.problems { t in t["layers"] = Array((t["layers"] as? [Any] ?? []).dropFirst()) }
        #expect(noLayer.contains { $0.contains("isOutput") || $0.contains("axonBase") || $0.contains("layer: got") }, "\(noLayer)")
        let noTile = try Self.problems { t in t["tiles"] = Array((t["tiles"] as? [Any] ?? []).dropLast()) }
        #expect(noTile == ["tiles: got 3 tiles, expected 4 (2x2, row-major)"])
    }

    /// Slices that overlap or leave synapses out are refused even when each is in range.
    @Test func coverageIsChecked() throws {
        let plan = try Self.plan()
        var p = plan
        let k = try #require(p.tiles.firstIndex { $0.slices.last?.layer == 0 })
        p.tiles[k].slices[p.tiles[k].slices.count - 1].inputHi -= 1
        #expect(p.problems().contains { $0.contains("synapses, expected") }, "\(p.problems())")
        var q = plan
        let two = q.tiles.indices.filter { q.tiles[$0].slices.contains { $0.layer == 0 } }
        try #require(two.count >= 2)
        let s = try #require(q.tiles[two[0]].slices.first { $0.layer == 0 })
        q.tiles[two[1]].slices = q.tiles[two[1]].slices.map { t in
            guard t.layer == 0 else { return t }
            var u = s
            u.firstGroup = t.firstGroup
            u.firstRow = t.firstRow
            u.holdsBias = t.holdsBias
            u.target = t.target
            return u
        }
        #expect(q.problems().contains { $0.contains("both hold") }, "\(q.problems())")
    }

    /// Fields the compiler computes with are checked on their own first (`export --set`).
    @Test func hugeFixedFieldsAreRefusedBeforeTheCompilerUsesThem() {
        var pe = CompilerTests.pe
        pe.thresholdBits = .max
        pe.wBits = .max
        #expect {
            try Compiler.compile(Self.model, CompileOptions(cols: 2, rows: 2, policy: .spread, pe: pe, fixed: ["thresholdBits", "wBits"]))
        } throws: { e in
            guard case let CompileError.hardware(.invalid(_, v)) = e else { return false }
            return Set(v.map(\.field)) == ["thresholdBits", "wBits"]
        }
    }

    /// A plan that is valid on its own but not the model's (a target moved, a flag flipped,
    /// the policy changed) is refused with the differing fields.
    @Test func aPlanThatIsNotTheModelsIsRefused() throws {
        var p = try Self.plan()
        p.layers[0].flush.toggle()
        #expect(p.problems().isEmpty)
        #expect(p.problems(against: Self.model).contains { $0.hasPrefix("layers[0].flush: got") })
        var q = try Self.plan()
        q.policy = .fill
        #expect(q.problems(against: Self.model).contains { $0.hasPrefix("tiles[") }, "\(q.problems(against: Self.model))")
        var r = try Self.plan()
        r.model.digest = String(repeating: "0", count: 64)
        #expect(r.problems(against: Self.model).contains { $0.hasPrefix("model.digest: got 0000") })
    }
}
