import SpikeForgeCore
import Trainer

/// How one conv or pool slice sits in a PE (docs/SYSTEM.md, "Convolutional layers"): the lanes
/// run over the block's output channels, a group is one output position's `channelGroups`
/// groups of `lanes` channels, and each kernel is stored once.
///
/// - Neuron `(o, y, x)` of the block is group `firstGroup + ((y − rowLo)·W + x)·cg + (o − channelLo)/lanes`,
///   lane `(o − channelLo) % lanes` (`W` the output width, `cg` the channel groups).
/// - Conv: weight row `firstRow + ((c·k + ky)·k + kx)·cg + g` holds, in lane `l`, the weight
///   `w[channelLo + g·lanes + l][c][ky][kx]`. An input spike at `(c, iy, ix)` drives the output
///   positions `(iy − ky, ix − kx)` inside the block: one axon entry with the clipped window
///   `ky0…ky1 × kx0…kx1`, whose row operations the PE walks with `rowStride = k·cg` and
///   `groupStride = W·cg` (docs/PE.md, "Windows").
/// - Pool: `lanes` one-hot weight rows (row `firstRow + l` has weight 1 in lane `l`); an input
///   spike at `(c, iy, ix)` drives its one window `(c, iy/k, ix/k)` with one row operation.
struct MapLayout {
    let geometry: LayerGeometry
    let block: MapBlock
    let lanes: Int
    let firstGroup: Int
    let firstRow: Int

    init(_ geometry: LayerGeometry, _ slice: Slice, lanes: Int) {
        self.geometry = geometry
        block = slice.block!
        self.lanes = lanes
        firstGroup = slice.firstGroup
        firstRow = slice.firstRow
    }

    var channelGroups: Int { Self.channelGroups(block.channelHi - block.channelLo, lanes: lanes) }
    static func channelGroups(_ channels: Int, lanes: Int) -> Int { (channels + lanes - 1) / lanes }

    /// Groups a block of `channels × rows` of an output map `width` wide needs.
    static func groups(channels: Int, rows: Int, width: Int, lanes: Int) -> Int { rows * width * channelGroups(channels, lanes: lanes) }

    /// Weight rows a block needs: every kernel of its channels once (conv), or `lanes` one-hot rows (pool).
    static func rows(_ g: LayerGeometry, channels: Int, lanes: Int) -> Int {
        switch g.kind {
        case .conv: return g.input.channels * g.size * g.size * channelGroups(channels, lanes: lanes)
        case .pool: return lanes
        }
    }

    /// The block's neurons, channel-major (flat indices of the layer's output map).
    var neurons: [Int] {
        let o = geometry.output
        var out: [Int] = []
        out.reserveCapacity((block.channelHi - block.channelLo) * (block.rowHi - block.rowLo) * o.width)
        for c in block.channelLo ..< block.channelHi { for y in block.rowLo ..< block.rowHi { for x in 0 ..< o.width { out.append(o.index(c, y, x)) } } }
        return out
    }

    /// The local neuron (`group · lanes + lane`) of output neuron `n` of the layer, which must lie in the block.
    func local(_ n: Int) -> Int {
        let o = geometry.output
        let c = n / (o.height * o.width), y = (n / o.width) % o.height, x = n % o.width
        let group = firstGroup + ((y - block.rowLo) * o.width + x) * channelGroups + (c - block.channelLo) / lanes
        return group * lanes + (c - block.channelLo) % lanes
    }

    /// The layer parameters' window strides.
    var strides: (row: Int, group: Int) {
        geometry.kind == .conv ? (geometry.size * channelGroups, geometry.output.width * channelGroups) : (0, 0)
    }

    /// The axon entry of input `j` of the layer (count 0 when it drives nothing in the block).
    func axonEntry(input j: Int, layer: Int) -> AxonEntry {
        let i = geometry.input, o = geometry.output, k = geometry.size, cg = channelGroups
        let c = j / (i.height * i.width), iy = (j / i.width) % i.height, ix = j % i.width
        let none = AxonEntry(row: 0, group: 0, count: 0, layer: layer)
        switch geometry.kind {
        case .conv:
            let ky0 = max(0, iy - (block.rowHi - 1)), ky1 = min(k - 1, iy - block.rowLo)
            let kx0 = max(0, ix - (o.width - 1)), kx1 = min(k - 1, ix)
            guard ky0 <= ky1, kx0 <= kx1 else { return none }
            return AxonEntry(row: firstRow + ((c * k + ky0) * k + kx0) * cg, group: firstGroup + ((iy - ky0 - block.rowLo) * o.width + (ix - kx0)) * cg,
                             count: cg, layer: layer, windowRows: ky1 - ky0 + 1, windowCols: kx1 - kx0 + 1)
        case .pool:
            let py = iy / k, px = ix / k
            guard (block.channelLo ..< block.channelHi).contains(c), (block.rowLo ..< block.rowHi).contains(py) else { return none }
            return AxonEntry(row: firstRow + (c - block.channelLo) % lanes, group: local(o.index(c, py, px)) / lanes, count: 1, layer: layer)
        }
    }

    /// Every weight of the block's rows: `(row, lane, weight)`.
    func weights(_ layer: IntegerLayer) -> [(row: Int, lane: Int, weight: Int64)] {
        var out: [(Int, Int, Int64)] = []
        switch geometry.kind {
        case .pool:
            for l in 0 ..< lanes { out.append((firstRow + l, l, 1)) }
        case .conv:
            let ci = geometry.input.channels, k = geometry.size, cg = channelGroups
            for c in 0 ..< ci {
                for ky in 0 ..< k {
                    for kx in 0 ..< k {
                        for g in 0 ..< cg {
                            for l in 0 ..< lanes {
                                let oc = block.channelLo + g * lanes + l
                                guard oc < block.channelHi else { continue }
                                out.append((firstRow + ((c * k + ky) * k + kx) * cg + g, l, Int64(layer.weights[((oc * ci + c) * k + ky) * k + kx])))
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The inputs of the layer whose spikes drive at least one neuron of the block.
    func drivenBy(input j: Int) -> Bool { axonEntry(input: j, layer: 0).count > 0 }
}
