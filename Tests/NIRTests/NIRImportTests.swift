import Datasets
import Foundation
import SpikeForgeCore
import Testing
import Trainer

@testable import NIR

/// Mapping NIR graphs built here (the fixtures made by the `nir` package are in
/// NIRFixtureTests): what is exact, what is approximated, and every refusal named.
@Suite struct NIRImportTests {
    static func t(_ v: [Double], _ shape: [Int]? = nil) -> NIRTensor { NIRTensor(shape: shape ?? [v.count], values: v) }
    static func ifNode(_ n: Int, theta: Double = 1) -> NIRNode {
        .integrateAndFire(r: t([Double](repeating: 1, count: n)), threshold: t([Double](repeating: theta, count: n)), reset: t([Double](repeating: 0, count: n)))
    }
    static func chain(_ nodes: [(String, NIRNode)]) -> NIRGraph {
        NIRGraph(version: "1.0.8", nodes: Dictionary(uniqueKeysWithValues: nodes), edges: zip(nodes, nodes.dropFirst()).map { ($0.0, $1.0) })
    }
    /// 4 inputs → 3 IF neurons → 2 outputs, float weights.
    static func dense(neuron: NIRNode = ifNode(3)) -> NIRGraph {
        chain([("in", .input(shape: [4])),
               ("fc1", .affine(weight: t([0.5, -0.25, 1, 0.1, 0.3, 0.2, -0.7, 0.9, -1, 0.4, 0.6, 0.05], [3, 4]), bias: t([0.01, -0.02, 0.03]))),
               ("n1", neuron),
               ("fc2", .affine(weight: t([1, -1, 0.5, -0.5, 0.25, 1], [2, 3]), bias: t([0, 0.1]))),
               ("out", .output(shape: [2]))])
    }
    static func importing(_ g: NIRGraph, _ options: NIRImportOptions = NIRImportOptions()) throws(NIRError) -> NIRImport {
        try NIRImport.map(g, path: "g.nir", options: options, calibration: nil)
    }

    @Test func aDenseIFGraphMapsWithItsReport() throws {
        let r = try Self.importing(Self.dense())
        #expect(r.model.architecture.description == "4-3-2")
        #expect(r.reports.map(\.status) == [.exact, .exact, .approximated, .exact, .exact])
        #expect(r.reports[2].note.contains("resets to 0"))
        // max |w| = 1 scales to 127; θ 1 → 127 after the first layer's T/levels = 1.
        #expect(r.model.layers[0].weights.map { abs($0) }.max() == 127)
        #expect(r.model.layers[0].threshold == 127)
        let expected: [Int64] = [0.01, -0.02, 0.03].map { (b: Double) -> Int64 in Int64((b * 15 * 127).rounded()) }
        #expect(r.model.layers[0].bias == expected)
    }

    @Test func perNeuronThresholdsFoldIntoRowsExactlyInFloat() throws {
        let uniform = try Self.importing(Self.dense())
        var g = Self.dense()
        // Row i scaled by c_i with θ_i = c_i: the same function.
        let c = [2.0, 0.5, 4.0]
        guard case let .affine(w, b) = g.nodes["fc1"]! else { return }
        g.nodes["fc1"] = .affine(weight: Self.t((0 ..< 12).map { w.values[$0] * c[$0 / 4] }, [3, 4]), bias: Self.t((0 ..< 3).map { b.values[$0] * c[$0] }))
        g.nodes["n1"] = .integrateAndFire(r: Self.t([1, 1, 1]), threshold: Self.t(c), reset: Self.t([0, 0, 0]))
        let folded = try Self.importing(g)
        #expect(folded.reports[2].note.contains("per-neuron thresholds folded"))
        var rng = SplitMix64(seed: 1)
        for _ in 0 ..< 200 {
            let image = (0 ..< 4).map { _ in UInt8(rng.next() % 256) }
            let (a, b) = (uniform.float.logits(image[...]), folded.float.logits(image[...]))
            #expect(zip(a, b).allSatisfy { abs($0 - $1) < 1e-9 }, "\(a) \(b)")
        }
    }

    @Test func aLeakIsRefusedWithItsValueUnlessIgnored() throws {
        let lif = NIRNode.lif(tau: Self.t([0.02, 0.02, 0.02]), r: Self.t([1, 1, 1]), vLeak: Self.t([0, 0, 0]), threshold: Self.t([1, 1, 1]), reset: Self.t([0, 0, 0]))
        #expect(throws: NIRError.unsupported(path: "g.nir", problems: [
            "node 'n1' (LIF): leaks (τ = 0.02, v_leak = 0; from snnTorch, whose dt is 1e-4, that is β = 0.995); SpikeForge's neurons do not leak (SPEC §1). `--leak ignore` maps it to IF and drops the leak",
        ])) { try Self.importing(Self.dense(neuron: lif)) }
        var o = NIRImportOptions()
        o.leak = .ignore
        let r = try Self.importing(Self.dense(neuron: lif), o)
        #expect(r.reports[2].status == .approximated && r.reports[2].note.contains("leak dropped"))
        // No leak (τ infinite): an IF.
        let noLeak = NIRNode.lif(tau: Self.t([.infinity, .infinity, .infinity]), r: Self.t([.infinity, .infinity, .infinity]), vLeak: Self.t([0, 0, 0]),
                                 threshold: Self.t([1, 1, 1]), reset: Self.t([0, 0, 0]))
        #expect(try Self.importing(Self.dense(neuron: noLeak)).model.architecture.description == "4-3-2")
    }

    @Test func structureProblemsNameTheEdge() throws {
        var cycle = Self.dense()
        cycle.edges.append(("n1", "fc1"))
        var skip = Self.dense()
        skip.edges.append(("in", "fc2"))
        var ghost = Self.dense()
        ghost.edges.append(("n1", "ghost"))
        var loose = Self.dense()
        loose.nodes["extra"] = Self.ifNode(2)
        var twoInputs = Self.dense()
        twoInputs.nodes["in2"] = .input(shape: [4])
        func problems(_ g: NIRGraph) -> [String] {
            do { _ = try Self.importing(g); return [] } catch { if case let .unsupported(_, p) = error { return p }; return ["\(error)"] }
        }
        #expect(problems(cycle).contains { $0.hasPrefix("edge 'n1' → 'fc1' closes a cycle (fc1 → n1 → fc1)") })
        #expect(problems(skip).contains("node 'fc2' has 2 inputs ('n1' → 'fc2', 'in' → 'fc2'): skip connections and merges are not supported"))
        #expect(problems(ghost).contains("edge 'n1' → 'ghost': there is no node 'ghost'"))
        #expect(problems(loose) == ["node 'extra' is not on the path from 'in' to 'out'"])
        #expect(problems(twoInputs).contains("2 Input nodes [\"in\", \"in2\"], expected 1"))
    }

    @Test func unsupportedNodesAndParametersAreAllListed() throws {
        let g = Self.chain([
            ("in", .input(shape: [1, 8, 8])),
            ("c1", .conv2d(weight: Self.t([Double](repeating: 0.1, count: 18), [2, 1, 3, 3]), bias: Self.t([0, 0]), stride: [2, 2], padding: [1, 1],
                           dilation: [1, 1], groups: 1, inputShape: nil)),
            ("n1", Self.ifNode(2)),
            ("d", .unsupported(type: "Delay")),
            ("out", .output(shape: [2])),
        ])
        #expect(throws: NIRError.unsupported(path: "g.nir", problems: [
            "node 'c1' (Conv2d): stride [2, 2], expected 1; padding [1, 1], expected 0 ('valid')",
            // After c1, only node-local checks: no cascade from the missing layer.
            "node 'd' (Delay): unknown or unsupported node type 'Delay'; SpikeForge maps Input, Output, Affine, Linear, Conv2d, SumPool2d, AvgPool2d, Flatten, Scale, IF, Threshold and leak-free LIF/CubaLIF",
        ])) { try Self.importing(g) }
        // A neuron with no weighted node before it.
        let bare = Self.chain([("in", .input(shape: [2])), ("n1", Self.ifNode(2)), ("out", .output(shape: [2]))])
        #expect(throws: NIRError.unsupported(path: "g.nir", problems: [
            "node 'n1' (IF): no Affine, Linear, Conv2d or pooling node before it (SpikeForge's neurons sit on weighted layers)",
        ])) { try Self.importing(bare) }
    }

    @Test func convPoolingAndScaleMap() throws {
        // Conv → IF → AvgPool 2 → IF → Flatten → Scale(2) → Affine → Output.
        let g = Self.chain([
            ("in", .input(shape: [1, 4, 4])),
            ("c1", .conv2d(weight: Self.t((0 ..< 18).map { Double($0 % 5) - 2 }, [2, 1, 3, 3]), bias: Self.t([0.5, -0.5]), stride: [1, 1], padding: [0, 0],
                           dilation: [1, 1], groups: 1, inputShape: [4, 4])),
            ("n1", Self.ifNode(8, theta: 2)),
            ("p", .avgPool2d(kernel: [2, 2], stride: [2, 2], padding: [0, 0])),
            ("n2", .integrateAndFire(r: Self.t([1], []), threshold: Self.t([0.5], []), reset: Self.t([0], []))),
            ("f", .flatten(startDim: 0, endDim: -1, inputType: [2, 1, 1])),
            ("s", .scale(Self.t([2, 2]))),
            ("fc", .affine(weight: Self.t([1, -1, 0.5, 0.25], [2, 2]), bias: Self.t([0, 0]))),
            ("out", .output(shape: [2])),
        ])
        let r = try Self.importing(g)
        #expect(r.model.architecture.description == "4x4-2C3-P2-2")
        // The average's 1/4 moves into the pooling threshold: 0.5 / (1/4) = 2 input counts.
        #expect(r.model.layers[1].threshold == 2)
        #expect(r.model.layers[2].inputShape == FeatureShape(channels: 2, height: 1, width: 1))
        #expect(r.reports.first { $0.node == "s" }?.note == "folded into the next weighted node's inputs")
        let theta: Int64 = 127
        #expect(r.model.layers[0].threshold == theta)
    }

    @Test func poolingAPreActivationIsRefused() throws {
        let g = Self.chain([
            ("in", .input(shape: [1, 4, 4])),
            ("c1", .conv2d(weight: Self.t([Double](repeating: 1, count: 9), [1, 1, 3, 3]), bias: Self.t([0]), stride: [1, 1], padding: [0, 0],
                           dilation: [1, 1], groups: 1, inputShape: [4, 4])),
            ("p", .sumPool2d(kernel: [2, 2], stride: [2, 2], padding: [0, 0])),
            ("n", Self.ifNode(1)),
            ("fc", .affine(weight: Self.t([1], [1, 1]), bias: Self.t([0]))),
            ("out", .output(shape: [1])),
        ])
        #expect(throws: NIRError.self) { try Self.importing(g) }
    }

    @Test func calibrationPicksAClipThatAgreesWithTheFloatGraph() throws {
        // One large weight on an input that is always 0 in the data: clipping it costs nothing,
        // keeping it costs the resolution of every other weight.
        var rng = SplitMix64(seed: 9)
        var w = (0 ..< 64 * 8).map { _ in Double(Int64(rng.next() % 2001) - 1000) / 10000 }
        w[5] = 40
        let g = Self.chain([("in", .input(shape: [64])), ("fc1", .affine(weight: Self.t(w, [8, 64]), bias: Self.t([Double](repeating: 0, count: 8)))),
                            ("n1", Self.ifNode(8, theta: 0.05)),
                            ("fc2", .affine(weight: Self.t((0 ..< 24).map { _ in Double(Int64(rng.next() % 200) - 100) / 100 }, [3, 8]), bias: Self.t([0, 0, 0]))),
                            ("out", .output(shape: [3]))])
        let images = (0 ..< 300 * 64).map { i in i % 64 == 5 ? 0 : UInt8(rng.next() % 256) }
        let set = ImageSet(width: 8, height: 8, pixels: images, labels: [UInt8](repeating: 0, count: 300), source: "random")
        let plain = try Self.importing(g)
        let calibrated = try NIRImport.map(g, path: "g.nir", options: NIRImportOptions(), calibration: set)
        func agreement(_ r: NIRImport) -> Int {
            let e = IntegerEngine(r.model).evaluate(set)
            return (0 ..< set.count).filter { e.predictions[$0] == argmax(r.float.logits(set.image($0))) }.count
        }
        #expect(calibrated.scales[0].how.contains("calibration images"))
        #expect(agreement(calibrated) > agreement(plain))
        #expect(calibrated.scales[0].scale > plain.scales[0].scale)
    }

    @Test func hugeShapesAndParametersAreErrorsNotTraps() throws {
        // An input whose element count overflows Int.
        let big = Self.chain([("in", .input(shape: [100_000_000, 100_000_000, 100_000_000])), ("fc", .linear(weight: Self.t([1], [1, 1]))),
                              ("out", .output(shape: [1]))])
        #expect(throws: NIRError.unsupported(path: "g.nir", problems: [
            "node 'in' (Input): shape [100000000, 100000000, 100000000], expected at most 16777216 values, each dimension at least 1",
        ])) { try Self.importing(big) }
        // Biases beyond the model bounds: a bound problem, never an overflow in evaluation.
        var g = Self.dense()
        g.nodes["fc1"] = .affine(weight: Self.t([Double](repeating: 1e-12, count: 12), [3, 4]), bias: Self.t([1e12, 0, 0]))
        #expect(throws: NIRError.self) { try Self.importing(g) }
        // Output shape whose product overflows.
        var o = Self.dense()
        o.nodes["out"] = .output(shape: [Int(1e9 - 1), Int(1e9 - 1), Int(1e9 - 1)])
        #expect(throws: NIRError.self) { try Self.importing(o) }
    }

    @Test func aLeakFreeCubaLIFScalesItsInputByWIn() throws {
        let inf = [Double](repeating: .infinity, count: 3)
        let cuba = NIRNode.cubaLIF(tauMem: Self.t(inf), tauSyn: Self.t(inf), r: Self.t(inf), vLeak: Self.t([0, 0, 0]), threshold: Self.t([2, 2, 2]),
                                   reset: Self.t([0, 0, 0]), wIn: Self.t([2, 2, 2]))
        let (a, b) = (try Self.importing(Self.dense()), try Self.importing(Self.dense(neuron: cuba)))
        #expect(a.float == b.float)
        #expect(b.reports[2].note.contains("input gain w_in"))
    }

    /// Inputs the review found trapping: empty tensors, a pooling kernel of 0, metadata that is
    /// not a small integer, and export names that collide.
    @Test func degenerateParametersAreErrors() throws {
        func problems(_ g: NIRGraph) -> String {
            do { _ = try Self.importing(g); return "" } catch { return error.description }
        }
        var pool = Self.chain([("in", .input(shape: [1, 4, 4])), ("p", .sumPool2d(kernel: [0, 0], stride: [0, 0], padding: [0, 0])), ("n", Self.ifNode(1)),
                               ("fc", .linear(weight: Self.t([1], [1, 1]))), ("out", .output(shape: [1]))])
        #expect(problems(pool).contains("kernel 0, expected 1...16"))
        pool.metadata["spikeforge_timesteps"] = .floats([.infinity])
        #expect(problems(pool).contains("metadata 'spikeforge_timesteps'"))
        var g = Self.dense()
        g.nodeMetadata["n1"] = ["spikeforge_flush": .floats([1e300])]
        #expect(problems(g) == "")
        // An exported model whose layer names collide with the generated ones.
        let m = IntegerModel(layers: [
            IntegerLayer(name: "fc_if", inputs: 2, outputs: 2, weights: [1, 2, 3, 4], bias: [0, 0], threshold: 3, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc", inputs: 2, outputs: 2, weights: [1, 2, 3, 4], bias: [0, 0], threshold: 3, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "out", inputs: 2, outputs: 2, weights: [1, 2, 3, 4], bias: [0, 0], threshold: 1, mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 4)
        let back = try NIRImport.map(try NIRExport.graph(m), path: "e.nir", options: NIRImportOptions(), calibration: nil)
        #expect(back.model.layers.map(\.weights) == m.layers.map(\.weights))
        #expect(back.model.layers.map(\.name) == ["fc_if", "fc", "out"])
    }

    @Test func emptyTensorsAreRefusedByTheParser() throws {
        let tree: [String: H5Node] = [
            "type": .dataset(.string("NIRGraph")),
            "edges": .dataset(H5Dataset(shape: [2, 2], values: .strings(["in", "fc", "fc", "out"]))),
            "nodes": .group([
                "in": .group(["type": .dataset(.string("Input")), "shape": .dataset(.integers([4]))]),
                "fc": .group(["type": .dataset(.string("Affine")), "weight": .dataset(.floats([], shape: [0, 4])), "bias": .dataset(.floats([], shape: [0]))]),
                "out": .group(["type": .dataset(.string("Output")), "shape": .dataset(.integers([0]))]),
            ]),
        ]
        #expect(throws: NIRError.invalid(path: "t", problems: [
            "node 'fc' (Affine): 'weight' has shape [0, 4], an empty dimension", "node 'fc' (Affine): 'bias' has shape [0], an empty dimension",
        ])) { try NIRGraph.parse(.group(["version": .dataset(.string("1.0.8")), "node": .group(tree)]), path: "t") }
    }

    /// A first-layer pooling sums input levels, each standing for T/levels of the graph's input.
    @Test func aFirstLayerPoolScalesItsThresholdByTheTimeSteps() throws {
        let g = Self.chain([("in", .input(shape: [1, 4, 4])), ("p", .sumPool2d(kernel: [2, 2], stride: [2, 2], padding: [0, 0])),
                            ("n", .integrateAndFire(r: Self.t([1], []), threshold: Self.t([4], []), reset: Self.t([0], []))),
                            ("f", .flatten(startDim: 0, endDim: -1, inputType: nil)), ("fc", .linear(weight: Self.t([1, 1, 1, 1], [1, 4]))),
                            ("out", .output(shape: [1]))])
        var o = NIRImportOptions()
        o.timesteps = 30
        #expect(try Self.importing(g, o).model.layers[0].threshold == 2)
        #expect(try Self.importing(g).model.layers[0].threshold == 4)
    }
}

