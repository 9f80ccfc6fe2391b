@testable import Compiler
import Foundation
import SpikeForgeCore
import Testing
import Trainer

/// Conv and pool layers on the mesh: blocks of channels and rows, kernels stored once, targets
/// only to the tiles a block drives, capacity errors that say what a layer needs, and the
/// smallest mesh.
@Suite struct MapPlacerTests {
    /// `8x8x2-6C3-P2-12-4` with random weights (as ConvSystemTests builds it).
    static func model(seed: UInt64 = 7) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        func r(_ n: Int) -> Int64 { Int64(rng.next() % UInt64(n)) }
        let input = FeatureShape(channels: 2, height: 8, width: 8)
        let convOut = FeatureShape(channels: 6, height: 6, width: 6), poolOut = FeatureShape(channels: 6, height: 3, width: 3)
        return IntegerModel(layers: [
            IntegerLayer(name: "conv1", kind: .conv(kernel: 3), input: input, output: convOut, weights: (0 ..< 108).map { _ in Int32(r(255) - 127) },
                         bias: (0 ..< convOut.count).map { _ in r(201) - 100 }, threshold: 80, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "pool2", kind: .pool(size: 2), input: convOut, output: poolOut, weights: [], bias: [Int64](repeating: 0, count: poolOut.count),
                         threshold: 1, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc3", inputs: 54, outputs: 12, weights: (0 ..< 54 * 12).map { _ in Int32(r(255) - 127) }, bias: (0 ..< 12).map { _ in r(301) - 150 },
                         threshold: 150, mode: .reluFloor, flush: false, isOutput: false),
            IntegerLayer(name: "fc4", inputs: 12, outputs: 4, weights: (0 ..< 48).map { _ in Int32(r(255) - 127) }, bias: [0, 0, 0, 0],
                         threshold: 1000, mode: .linear, flush: false, isOutput: true),
        ], wBits: 8, inputBits: 4)
    }

    static let pe = PEConfig(neurons: 128, lanes: 4, weightRows: 256)

    @Test(arguments: [PlacementPolicy.fill, .spread])
    func blocksTileTheMapsAndKernelsAreStoredOnce(_ policy: PlacementPolicy) throws {
        let m = Self.model()
        let plan = try Compiler.compile(m, CompileOptions(cols: 3, rows: 3, policy: policy, pe: Self.pe))
        #expect(plan.problems().isEmpty, "\(plan.problems())")
        #expect(plan.problems(against: m).isEmpty, "\(plan.problems(against: m))")
        let conv = plan.tiles.flatMap { $0.slices.filter { $0.layer == 0 } }
        #expect(!conv.isEmpty)
        for s in conv {
            let b = try #require(s.block)
            let cg = (b.channelHi - b.channelLo + 3) / 4
            // Each kernel of the block's channels once: 2 input channels x 3 x 3 offsets per channel group.
            #expect(s.rows == 2 * 9 * cg, "\(b): \(s.rows) rows")
            #expect(s.groups == (b.rowHi - b.rowLo) * 6 * cg)
        }
        // The weight SRAM holds each kernel weight exactly once over the whole mesh.
        let images = SystemImages(plan: plan, model: m)
        var stored = 0
        for (t, img) in zip(plan.tiles, images.tiles) {
            let c = plan.system.pe
            for s in t.slices where s.layer == 0 {
                for row in s.firstRow ..< s.firstRow + s.rows {
                    for lane in 0 ..< 4 where Bits.field(img.words[.weights]![row][...], lo: lane * c.weightSlot, width: c.wBits) != 0 { stored += 1 }
                }
            }
        }
        let bands = Set(conv.map { $0.block!.rowLo }).count
        #expect(stored == m.layers[0].weights.filter { $0 != 0 }.count * bands, "kernels are stored once per row band, not per position")
        // Pooling runs on PEs with one-hot rows.
        let pool = plan.tiles.flatMap { $0.slices.filter { $0.layer == 1 } }
        #expect(pool.allSatisfy { $0.rows == 4 })
        if policy == .spread {
            let fill = try Compiler.compile(m, CompileOptions(cols: 3, rows: 3, policy: .fill, pe: Self.pe))
            #expect(plan.activeTiles > fill.activeTiles)
        }
    }

    @Test func aConvLayerThatCannotFitSaysWhatItNeeds() {
        var pe = Self.pe
        pe.weightRows = 16
        #expect {
            try Compiler.compile(Self.model(), CompileOptions(cols: 3, rows: 3, policy: .fill, pe: pe))
        } throws: { e in
            guard case let .doesNotFit(_, _, v)? = e as? CompileError else { return false }
            return v.contains { $0.field.hasPrefix("conv1 (conv 3x3") && $0.value.contains("18 weight rows") && $0.expected.contains("weightRows = 16") }
        }
        // Too small a mesh: the tiles every layer needs at least.
        #expect {
            try Compiler.compile(Self.model(), CompileOptions(cols: 1, rows: 2, policy: .fill, pe: Self.pe))
        } throws: { e in
            guard case let .doesNotFit(_, _, v)? = e as? CompileError else { return false }
            return v.contains { $0.field == "tiles" && $0.value.contains("conv1") }
        }
    }

    @Test func theSmallestMeshIsPicked() throws {
        let plan = try Compiler.compile(Self.model(), CompileOptions(policy: .fill, pe: Self.pe, pickMesh: true))
        let tiles = plan.system.cols * plan.system.rows
        #expect(tiles < 9)
        // Every smaller mesh fails.
        for (c, r) in Compiler.smallestMeshes.prefix { $0.0 * $0.1 < tiles } {
            #expect(throws: CompileError.self) { try Compiler.compile(Self.model(), CompileOptions(cols: c, rows: r, policy: .fill, pe: Self.pe)) }
        }
    }

    @Test func overlappingOrMissingBlocksAreRefused() throws {
        var plan = try Compiler.compile(Self.model(), CompileOptions(cols: 3, rows: 3, policy: .spread, pe: Self.pe))
        let t = try #require(plan.tiles.firstIndex { $0.slices.contains { $0.layer == 0 } })
        let s = plan.tiles[t].slices.firstIndex { $0.layer == 0 }!
        plan.tiles[t].slices[s].block!.rowHi = min(6, plan.tiles[t].slices[s].block!.rowHi + 1)
        plan.tiles[t].slices[s].block!.channelLo = 0
        #expect(!plan.problems().isEmpty)
        plan.tiles[t].slices[s].block = nil
        #expect(plan.problems().contains { $0.contains("block: missing") }, "\(plan.problems())")
    }

    /// The window of every input of a conv block covers exactly the outputs the layer says it drives.
    @Test func axonEntriesDriveExactlyTheLayersFanOut() throws {
        let m = Self.model()
        let plan = try Compiler.compile(m, CompileOptions(cols: 3, rows: 3, policy: .spread, pe: Self.pe))
        for t in plan.tiles {
            for s in t.slices where s.block != nil {
                let layer = m.layers[s.layer]
                let map = MapLayout(plan.layers[s.layer].geometry!, s, lanes: 4)
                let mine = Set(map.neurons)
                for j in 0 ..< layer.inputs {
                    var want: [Int: Int32] = [:]
                    layer.forEachTarget(of: j) { i, w in if mine.contains(i) { want[map.local(i)] = w } }
                    let e = map.axonEntry(input: j, layer: s.layer)
                    var got: [Int: Int32] = [:]
                    let weights = Dictionary(map.weights(layer).map { ("\($0.row),\($0.lane)", Int32($0.weight)) }, uniquingKeysWith: { a, _ in a })
                    let (rs, gs) = map.strides
                    for a in 0 ..< e.windowRows {
                        for b in 0 ..< e.windowCols {
                            for g in 0 ..< e.count {
                                let row = e.row + a * rs + b * e.count + g, group = e.group - a * gs - b * e.count + g
                                for lane in 0 ..< 4 {
                                    let local = group * 4 + lane
                                    if mine.contains(where: { map.local($0) == local }) { got[local] = weights["\(row),\(lane)"] ?? 0 }
                                }
                            }
                        }
                    }
                    if layer.kind == .pool(size: 2) {
                        // A one-hot row: only the lane of the input's channel has weight 1.
                        got = got.filter { $0.value != 0 }
                        want = want.filter { $0.value != 0 }
                    }
                    #expect(got.filter { want[$0.key] == nil && $0.value != 0 }.isEmpty && want.allSatisfy { got[$0.key] == $0.value },
                            "\(layer.name) tile (\(t.x),\(t.y)) input \(j): got \(got.sorted { $0.key < $1.key }), want \(want.sorted { $0.key < $1.key })")
                }
            }
        }
    }
}
