import SpikeForgeCore
import Trainer

/// Placement of networks with convolution or pooling layers (docs/SYSTEM.md, "Convolutional
/// layers"). A conv or pool layer is cut into blocks of output channels (multiples of `lanes`)
/// and, when a block does not fit a tile, bands of output rows; a dense layer into groups. Each
/// layer gets a run of tiles, output layer first from (0, 0) as `fill` does. `fill` gives each
/// layer the fewest tiles it fits on; `spread` then hands the remaining tiles one at a time to
/// the layer with the most row operations per tile, so the busiest tiles set the pace as little
/// as the mesh allows. Every spike goes to the tiles of the next layer whose blocks it drives.
extension Placer {
    /// One layer's cut: the pieces (map blocks, or neuron ranges of a dense layer).
    struct Cut {
        var blocks: [MapBlock] = []
        var ranges: [Range<Int>] = []
        var count: Int { max(blocks.count, ranges.count) }
    }

    /// Row operations of layer `l` if every input spiked once (a static estimate of its work),
    /// and the spikes every tile of it receives (each costs a dispatch cycle).
    func work(_ l: Int) -> Double {
        let layer = layers[l]
        guard let g = layer.geometry else { return Double(layer.inputs) * Double(groups(layer.outputs)) }
        switch g.kind {
        case .conv: return Double(layer.inputs) * Double(g.size * g.size) * Double(MapLayout.channelGroups(g.output.channels, lanes: lanes))
        case .pool: return Double(layer.inputs)
        }
    }

    /// The cut of layer `l` into at most `n` pieces, or nil when some piece does not fit a tile.
    func cut(_ l: Int, into n: Int) -> Cut? {
        let layer = layers[l], pe = system.pe
        guard n >= 1 else { return nil }
        guard let g = layer.geometry else {
            let total = groups(layer.outputs)
            let k = min(n, total)
            let shares = Self.split(total, k)
            let most = shares.max() ?? 0
            guard most <= pe.groups, most * layer.inputs <= pe.weightRows else { return nil }
            var c = Cut(), lo = 0
            for s in shares { let hi = min(layer.outputs, lo + s * lanes); c.ranges.append(lo ..< hi); lo = hi }
            return c
        }
        let cg = MapLayout.channelGroups(g.output.channels, lanes: lanes)
        let nc = min(n, cg), nb = min(g.output.height, max(1, n / nc))
        var c = Cut(), ch = 0
        for sc in Self.split(cg, nc) {
            let chHi = min(g.output.channels, ch + sc * lanes)
            var row = 0
            for sb in Self.split(g.output.height, nb) {
                let rows = MapLayout.rows(g, channels: chHi - ch, lanes: lanes)
                if MapLayout.groups(channels: chHi - ch, rows: sb, width: g.output.width, lanes: lanes) > pe.groups || rows > pe.weightRows { return nil }
                c.blocks.append(MapBlock(channelLo: ch, channelHi: chHi, rowLo: row, rowHi: row + sb, rows: rows))
                row += sb
            }
            ch = chHi
        }
        return c
    }

    /// The largest number of useful pieces of layer `l`.
    func maxPieces(_ l: Int) -> Int {
        let layer = layers[l]
        guard let g = layer.geometry else { return groups(layer.outputs) }
        return MapLayout.channelGroups(g.output.channels, lanes: lanes) * g.output.height
    }

    /// Tile indices of each layer's run (output first, row-major; a run over several rows ends
    /// its rows), or nil when they do not fit the mesh.
    func layout(_ counts: [Int]) -> [[Int]]? {
        var next = 0
        var runs = [[Int]](repeating: [], count: layers.count)
        for l in layers.indices.reversed() {
            let n = counts[l]
            guard next + n <= system.tiles else { return nil }
            runs[l] = Array(next ..< next + n)
            let (fy, ly) = (next / system.cols, (next + n - 1) / system.cols)
            next = fy == ly ? next + n : (ly + 1) * system.cols
        }
        return runs
    }

    /// Places a network with conv or pool layers.
    mutating func placeMaps(_ policy: PlacementPolicy) -> TileRect {
        // The fewest pieces each layer fits in.
        var counts: [Int] = []
        for l in layers.indices {
            guard let n = (1 ... maxPieces(l)).first(where: { cut(l, into: $0) != nil }) else {
                violations.append(mapDoesNotFit(l))
                return .tile(0, 0)
            }
            counts.append(cut(l, into: n)!.count)
        }
        guard layout(counts) != nil else {
            let need = counts.reduce(0, +)
            violations.append(.init(field: "tiles", value: "at least \(need) needed (\(layers.indices.map { "\(layers[$0].name) \(counts[$0])" }.joined(separator: ", ")))",
                                    expected: "at most the \(system.cols)x\(system.rows) mesh's \(system.tiles) (a larger mesh, or more neurons and weight rows per tile)"))
            return .tile(0, 0)
        }
        if policy == .spread {
            // One more tile at a time to the busiest layer per tile, while the mesh holds them.
            var frozen = Set<Int>()
            while true {
                let load = layers.indices.map { l -> Double in frozen.contains(l) ? -1 : work(l) / Double(counts[l]) }
                guard let l = layers.indices.max(by: { load[$0] < load[$1] }), load[l] >= 0 else { break }
                // The next cut with more pieces (a cut into n pieces may use fewer).
                var trial = counts
                if let n = (counts[l] + 1 ..< maxPieces(l) + 1).first(where: { (cut(l, into: $0)?.count ?? 0) > counts[l] }) { trial[l] = cut(l, into: n)!.count }
                if trial[l] == counts[l] || layout(trial) == nil { frozen.insert(l); continue }
                counts = trial
            }
        }
        let runs = layout(counts)!
        let cuts = layers.indices.map { cut($0, into: counts[$0])! }
        assert(zip(cuts, counts).allSatisfy { $0.count == $1 })
        // Slices.
        for l in layers.indices {
            let layer = layers[l]
            for (k, t) in runs[l].enumerated() {
                if let g = layer.geometry {
                    let b = cuts[l].blocks[k], o = g.output
                    let s = Slice(layer: l, neuronLo: o.index(b.channelLo, b.rowLo, 0), neuronHi: o.index(b.channelHi - 1, b.rowHi - 1, o.width - 1) + 1,
                                  inputLo: 0, inputHi: layer.inputs, firstGroup: tiles[t].groupsUsed,
                                  groups: MapLayout.groups(channels: b.channelHi - b.channelLo, rows: b.rowHi - b.rowLo, width: o.width, lanes: lanes),
                                  firstRow: tiles[t].rowsUsed, holdsBias: true, target: nil, block: b)
                    tiles[t].slices.append(s)
                } else {
                    add(t, layer: l, neurons: cuts[l].ranges[k], inputs: 0 ..< layer.inputs, bias: true)
                }
            }
        }
        // Targets: the bounding rectangle of the next layer's tiles each slice drives.
        for t in tiles.indices {
            for s in tiles[t].slices.indices where !layers[tiles[t].slices[s].layer].isOutput {
                let l = tiles[t].slices[s].layer
                let driven = runs[l + 1].filter { u in tiles[u].slices.contains { $0.layer == l + 1 && drives(tiles[t].slices[s], $0) } }
                tiles[t].slices[s].target = rect(driven.isEmpty ? runs[l + 1] : driven)
            }
        }
        checkCapacity()
        return rect(runs[0])
    }

    /// The bounding rectangle of some tiles.
    func rect(_ ts: [Int]) -> TileRect {
        let xs = ts.map { $0 % system.cols }, ys = ts.map { $0 / system.cols }
        return TileRect(x0: xs.min()!, x1: xs.max()!, y0: ys.min()!, y1: ys.max()!)
    }

    /// Whether some neuron of `source` (a slice of layer l) is an input that drives a neuron of
    /// `sink` (a slice of layer l + 1).
    func drives(_ source: Slice, _ sink: Slice) -> Bool {
        guard let g = layers[sink.layer].geometry, let b = sink.block else { return true }
        // The part of the sink's input map its block reads: channels and rows.
        let (chLo, chHi, rowLo, rowHi): (Int, Int, Int, Int) = g.kind == .conv
            ? (0, g.input.channels, b.rowLo, b.rowHi + g.size - 1)
            : (b.channelLo, b.channelHi, b.rowLo * g.size, b.rowHi * g.size)
        if let sb = source.block {
            return sb.channelLo < chHi && chLo < sb.channelHi && sb.rowLo < rowHi && rowLo < sb.rowHi
        }
        // A dense source: its neurons are a flat range of the sink's input map.
        let i = g.input
        return (source.neuronLo ..< source.neuronHi).contains { j in
            let c = j / (i.height * i.width), y = (j / i.width) % i.height
            return (chLo ..< chHi).contains(c) && (rowLo ..< rowHi).contains(y)
        }
    }

    /// Why layer `l` does not fit even one output row of one channel group on a tile.
    func mapDoesNotFit(_ l: Int) -> ConfigViolation {
        let layer = layers[l], pe = system.pe
        guard let g = layer.geometry else {
            return .init(field: "\(layer.name) fan-in", value: "\(layer.inputs) inputs: one group of \(lanes) neurons needs \(layer.inputs) weight rows",
                         expected: "at most weightRows = \(pe.weightRows)")
        }
        let rows = MapLayout.rows(g, channels: min(lanes, g.output.channels), lanes: lanes)
        let groupsNeeded = g.output.width * 1
        return .init(field: "\(layer.name) (\(g.kind.rawValue) \(g.size)x\(g.size), \(g.input) -> \(g.output))",
                     value: "one block of \(min(lanes, g.output.channels)) channels x 1 output row needs \(rows) weight rows and \(groupsNeeded * lanes) neurons",
                     expected: "at most weightRows = \(pe.weightRows) and neurons = \(pe.neurons) per tile")
    }
}
