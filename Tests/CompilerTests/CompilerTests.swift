import Compiler
import Foundation
import SpikeForgeCore
import Testing
import Trainer

/// Placement, range analysis, capacity and safety checks of the compiler.
@Suite struct CompilerTests {
    static func dense(_ sizes: [Int], seed: UInt64 = 7, mode: NeuronMode = .reluFloor, theta: Int64 = 300) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        var layers: [IntegerLayer] = []
        for (k, (i, o)) in zip(sizes, sizes.dropFirst()).enumerated() {
            let out = k == sizes.count - 2
            layers.append(IntegerLayer(name: "fc\(k + 1)", inputs: i, outputs: o, weights: (0 ..< i * o).map { _ in Int32(Int64(rng.next() % 255) - 127) },
                                       bias: (0 ..< o).map { _ in Int64(rng.next() % 201) - 100 }, threshold: theta, mode: out ? .linear : mode,
                                       flush: false, isOutput: out))
        }
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    static let pe = PEConfig(neurons: 32, lanes: 4, weightRows: 128)

    /// Every neuron of every layer is placed exactly once (per fan-in share), every input of
    /// every neuron is covered exactly once, and exactly one slice holds each bias.
    func checkCoverage(_ plan: SystemPlan) {
        for (l, layer) in plan.layers.enumerated() {
            var covered = [Int](repeating: 0, count: layer.outputs * layer.inputs)
            var bias = [Int](repeating: 0, count: layer.outputs)
            for t in plan.tiles {
                for s in t.slices where s.layer == l {
                    for n in s.neuronLo ..< s.neuronHi {
                        if s.holdsBias { bias[n] += 1 }
                        for j in s.inputLo ..< s.inputHi { covered[n * layer.inputs + j] += 1 }
                    }
                }
            }
            #expect(covered.allSatisfy { $0 == 1 }, "\(layer.name): some synapse placed \(covered.min()!)…\(covered.max()!) times")
            #expect(bias.allSatisfy { $0 == 1 }, "\(layer.name): each bias exactly once")
        }
        for t in plan.tiles {
            #expect(t.rowsUsed <= plan.system.pe.weightRows && t.groupsUsed <= plan.system.pe.groups)
            #expect(Set(t.slices.map(\.layer)).count == t.slices.count, "one slice per layer per tile")
        }
    }

    @Test(arguments: [PlacementPolicy.fill, .spread])
    func smallNetworkPlacements(_ policy: PlacementPolicy) throws {
        let plan = try Compiler.compile(Self.dense([16, 12, 4]), CompileOptions(cols: 2, rows: 2, policy: policy, pe: Self.pe))
        checkCoverage(plan)
        if policy == .fill {
            #expect(plan.activeTiles == 2)
            #expect(plan.tile(0, 0).slices.map(\.layer) == [1], "the output layer sits next to the host")
        } else {
            #expect(plan.activeTiles == 4)
            // The path (0,1) -> (1,1) -> (1,0) -> sink (0,0): each tile's partial sum is next on it.
            #expect(plan.tiles.filter { $0.slices.contains { $0.layer == 1 } }.map { [$0.x, $0.y] } == [[0, 0], [1, 0], [1, 1]])
            #expect(plan.tile(0, 1).slices.first?.target == .tile(1, 1))
            #expect(plan.tile(1, 1).slices.first?.target == .tile(1, 0))
        }
    }

    @Test func deepNetworkSpreadUsesBands() throws {
        let plan = try Compiler.compile(Self.dense([16, 24, 12, 4]), CompileOptions(cols: 3, rows: 3, policy: .spread, pe: Self.pe))
        checkCoverage(plan)
        // Layer fc1 lies below the band of fc2 and sends to all of it.
        let fc1 = plan.tiles.filter { $0.slices.contains { $0.layer == 0 } }
        let fc2 = plan.tiles.filter { $0.slices.contains { $0.layer == 1 } }
        #expect(fc1.map(\.y).min()! > fc2.map(\.y).max()!)
        #expect(plan.input == TileRect(x0: 0, x1: 2, y0: fc1.map(\.y).min()!, y1: 2))
    }

    @Test func sameModelAndOptionsGiveByteIdenticalPlansAndImages() throws {
        let m = Self.dense([16, 12, 4])
        let o = CompileOptions(cols: 2, rows: 2, policy: .spread, pe: Self.pe)
        let a = try Compiler.compile(m, o), b = try Compiler.compile(m, o)
        #expect(try a.json() == b.json())
        #expect(SystemImages(plan: a, model: m) == SystemImages(plan: b, model: m))
        let decoded = try JSONDecoder().decode(SystemPlan.self, from: Data(try a.json().utf8))
        #expect(decoded == a)
    }

    /// The bounds hold: the analysis' |V| and |z| are never exceeded by the integer model's
    /// exact ranges on random inputs, and the picked widths hold them.
    /// The model digest: a dense model's is what it always was (the fuzz fixture's 16-8-4 model,
    /// whose digest the committed corpus holds); conv and pool layers add their kind, kernel and
    /// maps, so two models with the same parameters but other shapes differ.
    @Test func modelDigestKeepsDenseAndCoversConvShapes() {
        var rng = SplitMix64(seed: 14)
        var layers: [IntegerLayer] = []
        for (k, (i, o)) in zip([16, 8], [8, 4]).enumerated() {
            layers.append(IntegerLayer(name: "fc\(k + 1)", inputs: i, outputs: o, weights: (0 ..< i * o).map { _ in Int32(Int64(rng.next() % 255) - 127) },
                                       bias: (0 ..< o).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 300,
                                       mode: k == 1 ? .linear : .reluFloor, flush: false, isOutput: k == 1))
        }
        #expect(IntegerModel(layers: layers, wBits: 8, inputBits: 4).digest == "1197b8a8a4612553c5d794e84136b5b266989ff947d94da013875eba2c443d9a")
        func conv(_ input: FeatureShape, _ output: FeatureShape, kernel: Int) -> IntegerModel {
            IntegerModel(layers: [
                IntegerLayer(name: "c1", kind: .conv(kernel: kernel), input: input, output: output, weights: [Int32](repeating: 1, count: 4),
                             bias: [Int64](repeating: 0, count: 12), threshold: 5, mode: .reluFloor, flush: false, isOutput: false),
                IntegerLayer(name: "fc2", inputs: 12, outputs: 1, weights: [Int32](repeating: 1, count: 12), bias: [0], threshold: 1, mode: .linear,
                             flush: false, isOutput: true),
            ], wBits: 8, inputBits: 4)
        }
        // The same 4 weights as a 2x2 kernel on 4x5, or a 1x1 kernel from 4 channels on 1x3x4, or pooling.
        let a = conv(FeatureShape(channels: 1, height: 4, width: 5), FeatureShape(channels: 1, height: 3, width: 4), kernel: 2)
        let b = conv(FeatureShape(channels: 4, height: 3, width: 4), FeatureShape(channels: 1, height: 3, width: 4), kernel: 1)
        var c = a
        c.layers[0].kind = .pool(size: 2)
        #expect(Set([a.digest, b.digest, c.digest]).count == 3)
    }

    @Test func rangeAnalysisBoundsAndPicksWidths() throws {
        let m = Self.dense([16, 12, 4])
        let b = try RangeAnalysis.analyze(m)
        let plan = try Compiler.compile(m, CompileOptions(cols: 2, rows: 2, policy: .fill, pe: Self.pe))
        #expect(Bits.signedRange(plan.system.pe.vBits).contains(b.map(\.vBound).max()!))
        #expect(Bits.signedRange(plan.system.pe.zBits).contains(b[0].zBound))
        #expect(!Bits.signedRange(plan.system.pe.vBits - 1).contains(b.map(\.vBound).max()!), "the smallest width that holds the bound")
        var rng = SplitMix64(seed: 3)
        for _ in 0 ..< 200 {
            let t = m.trace(levels: (0 ..< 16).map { _ in Int32(rng.next() % 16) })
            for (k, x) in t.preActivations.enumerated() { #expect(x.allSatisfy { abs($0) <= b[k].vBound }) }
            #expect(t.counts[0].allSatisfy { abs($0) <= b[0].zBound })
        }
    }

    /// The compile error, or nil when the model compiles.
    static func failure(_ m: IntegerModel, _ o: CompileOptions) -> CompileError? {
        do {
            _ = try Compiler.compile(m, o)
            return nil
        } catch {
            return error
        }
    }

    @Test func fixedWidthsTooSmallAreRefusedWithTheBound() throws {
        let m = Self.dense([16, 12, 4])
        var pe = Self.pe
        pe.vBits = 11
        pe.zBits = 3
        let bound = try RangeAnalysis.analyze(m).map(\.vBound).max()!
        let e = Self.failure(m, CompileOptions(cols: 2, rows: 2, policy: .fill, pe: pe, fixed: ["vBits", "zBits"]))
        guard case let .rangeOverflow(v)? = e else { Issue.record("a range overflow must be refused, got \(String(describing: e))"); return }
        #expect(v.map(\.field).sorted() == ["vBits", "zBits"])
        #expect(e!.description.contains("\(bound)"), "the error gives the bound: \(e!)")
    }

    @Test func modelsThatDoNotFitSayWhatIsNeeded() throws {
        // Too many tiles.
        let tiles = Self.failure(Self.dense([16, 64, 4]), CompileOptions(cols: 2, rows: 1, policy: .fill, pe: Self.pe))
        guard case let .doesNotFit(_, mesh, v)? = tiles else { Issue.record("must not fit: \(String(describing: tiles))"); return }
        #expect(mesh == "2x1")
        #expect(v.contains { $0.field == "tiles" && $0.value.contains("needed") }, "\(tiles!)")
        // A fan-in larger than the weight SRAM.
        let fanIn = Self.failure(Self.dense([200, 8, 4]), CompileOptions(cols: 2, rows: 2, policy: .fill, pe: Self.pe))
        #expect(fanIn?.description.contains("fc1 fan-in") == true && fanIn?.description.contains("weightRows = 128") == true, "\(String(describing: fanIn))")
        // Too few axons and layers, fixed by the user: both listed.
        var pe = Self.pe
        pe.axons = 16
        pe.layers = 1
        let both = Self.failure(Self.dense([16, 12, 4]), CompileOptions(cols: 2, rows: 2, policy: .fill, pe: pe, fixed: ["axons", "layers"]))
        guard case let .doesNotFit(_, _, v2)? = both else { Issue.record("must not fit: \(String(describing: both))"); return }
        #expect(Set(v2.map(\.field)) == ["axons", "layers"], "\(both!)")
    }

    /// The safety rule: spikes never move south or east in row 0, and no tile feeds itself.
    @Test func placementsKeepSpikesOffTheHostsLinks() throws {
        for policy in PlacementPolicy.allCases {
            for (cols, rows) in [(2, 2), (3, 3), (4, 2), (1, 4), (6, 7)] {
                let m = Self.dense(cols * rows >= 9 ? [16, 40, 10] : [16, 12, 4])
                guard let plan = try? Compiler.compile(m, CompileOptions(cols: cols, rows: rows, policy: policy, pe: Self.pe)) else { continue }
                checkCoverage(plan)
                for t in plan.tiles {
                    for s in t.slices {
                        guard let r = s.target else { continue }
                        #expect(r.y1 <= t.y && !(t.y == 0 && r.x1 > t.x) && !r.contains(t.x, t.y), "\(policy) \(cols)x\(rows): tile (\(t.x),\(t.y)) -> \(r)")
                    }
                }
            }
        }
    }
}
