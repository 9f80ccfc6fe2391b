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
    /// The block as the PE lays it out (SpikeForgeCore/PE/ConvMapping.swift).
    let conv: ConvTileMapping?
    let pool: PoolTileMapping?

    init(_ geometry: LayerGeometry, _ slice: Slice, lanes: Int) {
        self.geometry = geometry
        let b = slice.block!
        block = b
        let (i, channels, rows) = (geometry.input, b.channelLo ..< b.channelHi, b.rowLo ..< b.rowHi)
        switch geometry.kind {
        case .conv:
            conv = ConvTileMapping(inChannels: i.channels, inHeight: i.height, inWidth: i.width, kernel: geometry.size, outChannels: channels, lanes: lanes,
                                   firstGroup: slice.firstGroup, firstRow: slice.firstRow, outRows: rows)
            pool = nil
        case .pool:
            conv = nil
            pool = PoolTileMapping(inHeight: i.height, inWidth: i.width, size: geometry.size, channels: channels, lanes: lanes,
                                   firstGroup: slice.firstGroup, firstRow: slice.firstRow, outRows: rows)
        }
    }

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
        return conv?.neuron(of: c, y: y, x: x) ?? pool!.neuron(of: c, y: y, x: x)
    }

    /// The layer parameters' window strides.
    var strides: (row: Int, group: Int) { conv.map { ($0.layerStrides.rowStride, $0.layerStrides.groupStride) } ?? (0, 0) }

    /// The axon entry of input `j` of the layer (count 0 when it drives nothing in the block).
    func axonEntry(input j: Int, layer: Int) -> AxonEntry {
        let i = geometry.input
        let c = j / (i.height * i.width), y = (j / i.width) % i.height, x = j % i.width
        return conv?.axonEntry(channel: c, y: y, x: x, layer: layer) ?? pool!.axonEntry(channel: c, y: y, x: x, layer: layer)
    }

    /// Every weight of the block's rows: `(row, lane, weight)`.
    func weights(_ layer: IntegerLayer) -> [(row: Int, lane: Int, weight: Int64)] {
        let rows: [(row: Int, lanes: [Int64])]
        if let conv {
            let (ci, k) = (geometry.input.channels, geometry.size)
            rows = conv.weightRows { o, c, ky, kx in Int64(layer.weights[((o * ci + c) * k + ky) * k + kx]) }
        } else {
            rows = pool!.weightRows
        }
        return rows.flatMap { r in r.lanes.enumerated().map { (r.row, $0.offset, $0.element) } }
    }
}
