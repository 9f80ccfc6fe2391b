import SpikeForgeCore
import Testing
import Trainer

/// Renumbering a hidden layer's neurons computes the same network: identical logits and, per
/// neuron, the same spike counts moved with the neuron; what cannot be renumbered is listed.
@Suite struct IntegerModelPermutationTests {
    static func model(seed: UInt64) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        func layer(_ name: String, _ i: Int, _ o: Int, output: Bool) -> IntegerLayer {
            IntegerLayer(name: name, inputs: i, outputs: o, weights: (0 ..< i * o).map { _ in Int32(Int64(rng.next() % 255) - 127) },
                         bias: (0 ..< o).map { _ in Int64(rng.next() % 201) - 100 }, threshold: 90, mode: output ? .linear : .reluFloor,
                         flush: false, isOutput: output)
        }
        return IntegerModel(layers: [layer("fc1", 20, 9, output: false), layer("fc2", 9, 7, output: false), layer("fc3", 7, 3, output: true)],
                            wBits: 8, inputBits: 4)
    }

    @Test(arguments: [0, 1])
    func renumberedLayersGiveTheSameLogits(_ l: Int) throws {
        let m = Self.model(seed: 5)
        var rng = SplitMix64(seed: 6)
        var order = Array(0 ..< m.layers[l].outputs)
        for k in order.indices.reversed() { order.swapAt(k, Int(rng.next() % UInt64(k + 1))) }
        let p = try #require(m.permutingNeurons(ofLayer: l, order: order))
        #expect(p != m || order == Array(order.indices))
        #expect(p.layers[l].bias == order.map { m.layers[l].bias[$0] })
        for _ in 0 ..< 50 {
            let levels = (0 ..< 20).map { _ in Int32(rng.next() % 16) }
            let (a, b) = (m.trace(levels: levels), p.trace(levels: levels))
            #expect(a.logits == b.logits, "seed 6, levels \(levels)")
            #expect(b.counts[l] == order.map { a.counts[l][$0] }, "the counts move with their neurons")
        }
        #expect(m.permutingNeurons(ofLayer: l, order: Array(0 ..< m.layers[l].outputs)) == m, "the identity changes nothing")
    }

    @Test func whatCannotBeRenumberedIsListed() {
        let m = Self.model(seed: 5)
        #expect(m.permutationProblems(layer: 2, order: [0, 1, 2]) == ["layer 2: got a layer index, expected a hidden layer 0..<2"])
        #expect(m.permutationProblems(layer: -1, order: []).count == 1)
        let p = m.permutationProblems(layer: 0, order: [0, 0, 1, 2, 3, 4, 5, 99])
        #expect(p == ["order: got 8 entries, expected 9, one per neuron of fc1",
                      "order: got 2 entries out of range or repeated, expected a permutation of 0..<9"], "\(p)")
        #expect(m.permutingNeurons(ofLayer: 0, order: [1, 0]) == nil)
        // A next hidden layer whose counts depend on its inputs' order (relu without the flush)
        // is not renumbered under: its logits could change.
        var inexact = m
        inexact.layers[1].mode = .relu
        #expect(inexact.permutationProblems(layer: 0, order: Array(0 ..< 9))
            == ["fc2: got relu without the flush, expected the output layer or an exact one (reluFloor, or relu or linear with the flush): its counts depend on the order of its inputs"])
        inexact.layers[1].flush = true
        #expect(inexact.permutationProblems(layer: 0, order: Array(0 ..< 9)).isEmpty, "relu with the flush is exact")
    }
}
