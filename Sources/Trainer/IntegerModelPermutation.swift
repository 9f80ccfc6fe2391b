/// Renumbering a hidden layer's neurons: the same network, computing the same logits bit for bit
/// (docs/SYSTEM.md, "Placement from profiled activity").
extension IntegerModel {
    /// What stands in the way of renumbering layer `l`'s neurons by `order`, if anything: `l`
    /// and the layer after it must be dense, the layer after it the output layer or one whose
    /// spike counts do not depend on the order of its inputs (`IntegerLayer.isExact`: `relu` or
    /// `linear` without the flush counts its inputs in index order), and `order` a
    /// permutation of `0 ..< outputs`.
    public func permutationProblems(layer l: Int, order: [Int]) -> [String] {
        guard layers.indices.contains(l), l + 1 < layers.count else {
            return ["layer \(l): got a layer index, expected a hidden layer 0..<\(max(0, layers.count - 1))"]
        }
        var p: [String] = []
        let layer = layers[l], next = layers[l + 1]
        if layer.kind != .dense { p.append("\(layer.name): got a \(layer.kind) layer, expected a dense one (its neurons are renumbered)") }
        if next.kind != .dense { p.append("\(next.name): got a \(next.kind) layer, expected a dense one (its inputs are renumbered)") }
        if !next.isExact {
            p.append("\(next.name): got \(next.mode.rawValue)\(next.flush ? " with" : " without") the flush, expected the output layer or an exact one (reluFloor, or relu or linear with the flush): its counts depend on the order of its inputs")
        }
        if order.count != layer.outputs { p.append("order: got \(order.count) entries, expected \(layer.outputs), one per neuron of \(layer.name)") }
        var seen = [Bool](repeating: false, count: layer.outputs)
        var bad = 0
        for n in order {
            if seen.indices.contains(n), !seen[n] { seen[n] = true } else { bad += 1 }
        }
        if bad > 0 { p.append("order: got \(bad) entries out of range or repeated, expected a permutation of 0..<\(layer.outputs)") }
        return p
    }

    /// The model with layer `l`'s neuron `order[i]` moved to position `i`: its weight row and
    /// bias, and the matching input column of layer `l + 1`. Every later sum sees the same terms
    /// (in another order, which the range analysis makes exact: no sum saturates), so the logits
    /// are identical. Nil when `permutationProblems` lists a problem.
    public func permutingNeurons(ofLayer l: Int, order: [Int]) -> IntegerModel? {
        guard permutationProblems(layer: l, order: order).isEmpty else { return nil }
        var m = self
        let layer = layers[l], next = layers[l + 1]
        let (n, inputs) = (layer.outputs, layer.inputs)
        var w = [Int32](repeating: 0, count: layer.weights.count)
        for (i, old) in order.enumerated() {
            for j in 0 ..< inputs { w[i * inputs + j] = layer.weights[old * inputs + j] }
        }
        m.layers[l].weights = w
        m.layers[l].bias = order.map { layer.bias[$0] }
        var w2 = [Int32](repeating: 0, count: next.weights.count)
        for o in 0 ..< next.outputs {
            for (i, old) in order.enumerated() { w2[o * n + i] = next.weights[o * n + old] }
        }
        m.layers[l + 1].weights = w2
        return m
    }
}
