/// How a convolution layer (SPEC §6: `k × k` kernels, stride 1, valid) sits on one PE tile,
/// with its kernels stored once and addressed from the spike's (channel, y, x) (docs/PE.md,
/// "Convolutions"). The compiler and the tests build a tile's words from this one place.
///
/// The tile holds the output channels `outChannels` (a block `c0 ..< c1`) at every output
/// position. Output neuron `(o, oy, ox)` is lane `(o − c0) % lanes` of group
/// `firstGroup + (oy·Wo + ox)·cgroups + (o − c0) / lanes`, with `cgroups = ⌈(c1 − c0) / lanes⌉`:
/// a position's channels are `cgroups` consecutive groups. Weight row
/// `firstRow + ((c·k + ky)·k + kx)·cgroups + cg` holds, in lane `l`, `w[c0 + cg·lanes + l][c][ky][kx]`
/// (0 beyond the block). An input spike at `(c, iy, ix)` reaches output `(o, iy − ky, ix − kx)`
/// for every kernel offset inside the output map, `ky` in `ky0 ... ky1` with
/// `ky0 = max(0, iy − Ho + 1)`, `ky1 = min(k − 1, iy)` (and `kx` alike): one axon entry with a
/// `(ky1 − ky0 + 1) × (kx1 − kx0 + 1)` window of runs of `cgroups` row operations, and the layer's
/// strides `rowStride = k·cgroups` (next `ky`: `k` offsets further on), `groupStride = Wo·cgroups`
/// (next `ky`: one output row up). Consecutive `kx` are `cgroups` rows on and `cgroups` groups back,
/// which the entry's `count` gives.
public struct ConvTileMapping: Hashable, Sendable {
    /// The input map, channel-major (input `j` is `(c·inHeight + y)·inWidth + x`).
    public var inChannels: Int, inHeight: Int, inWidth: Int
    /// `kernel × kernel` kernels, stride 1, no padding.
    public var kernel: Int
    /// The output channels this tile holds.
    public var outChannels: Range<Int>
    /// The PE's lanes (`PEConfig.lanes`).
    public var lanes: Int
    /// Where the layer starts on the tile: its first state group and first weight row.
    public var firstGroup: Int, firstRow: Int
    /// The band of output rows the tile holds (every row unless the compiler cuts the map into
    /// bands); output row `y` of the band is position row `y − outRows.lowerBound`.
    public var outRows: Range<Int>

    public init(inChannels: Int, inHeight: Int, inWidth: Int, kernel: Int, outChannels: Range<Int>, lanes: Int, firstGroup: Int = 0, firstRow: Int = 0,
                outRows: Range<Int>? = nil) {
        self.inChannels = inChannels
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.kernel = kernel
        self.outChannels = outChannels
        self.lanes = lanes
        self.firstGroup = firstGroup
        self.firstRow = firstRow
        self.outRows = outRows ?? 0 ..< max(0, inHeight - kernel + 1)
    }

    public var outHeight: Int { inHeight - kernel + 1 }
    public var outWidth: Int { inWidth - kernel + 1 }
    /// Groups per output position (`cgroups`).
    public var channelGroups: Int { (outChannels.count + lanes - 1) / max(1, lanes) }
    /// The layer's groups on the tile (its `LayerParams.groupCount`).
    public var groupCount: Int { outRows.count * outWidth * channelGroups }
    /// The weight rows the kernels take.
    public var rowCount: Int { inChannels * kernel * kernel * channelGroups }
    /// The layer's window strides: `k·cgroups` weight rows and `Wo·cgroups` groups per kernel row.
    public var layerStrides: (rowStride: Int, groupStride: Int) { (kernel * channelGroups, outWidth * channelGroups) }

    /// The layer's parameter word: its groups and strides.
    public func layerParams(theta: Int, mode: NeuronMode) -> LayerParams {
        LayerParams(theta: theta, mode: mode, firstGroup: firstGroup, groupCount: groupCount, rowStride: layerStrides.rowStride,
                    groupStride: layerStrides.groupStride)
    }

    /// The group of output neuron `(o, y, x)` (`o` in `outChannels`).
    public func group(of o: Int, y: Int, x: Int) -> Int { firstGroup + ((y - outRows.lowerBound) * outWidth + x) * channelGroups + (o - outChannels.lowerBound) / lanes }
    /// The lane of output channel `o`.
    public func lane(of o: Int) -> Int { (o - outChannels.lowerBound) % lanes }
    /// The PE's neuron index of output `(o, y, x)` (bias and target words are per neuron).
    public func neuron(of o: Int, y: Int, x: Int) -> Int { group(of: o, y: y, x: x) * lanes + lane(of: o) }

    /// The weight row of input channel `c`, kernel offset `(ky, kx)`, channel group `cg`.
    public func weightRow(inChannel c: Int, ky: Int, kx: Int, channelGroup cg: Int) -> Int {
        firstRow + ((c * kernel + ky) * kernel + kx) * channelGroups + cg
    }

    /// The lanes of that row: `weight(o, c, ky, kx)` for the block's channels, 0 beyond it.
    public func weightWord(inChannel c: Int, ky: Int, kx: Int, channelGroup cg: Int, weight: (_ o: Int, _ c: Int, _ ky: Int, _ kx: Int) -> Int64) -> [Int64] {
        (0 ..< lanes).map { l in
            let o = outChannels.lowerBound + cg * lanes + l
            return o < outChannels.upperBound ? weight(o, c, ky, kx) : 0
        }
    }

    /// Every weight row of the layer with its lanes, in row order.
    public func weightRows(_ weight: (_ o: Int, _ c: Int, _ ky: Int, _ kx: Int) -> Int64) -> [(row: Int, lanes: [Int64])] {
        var out: [(row: Int, lanes: [Int64])] = []
        out.reserveCapacity(rowCount)
        for c in 0 ..< inChannels {
            for ky in 0 ..< kernel {
                for kx in 0 ..< kernel {
                    for cg in 0 ..< channelGroups {
                        out.append((weightRow(inChannel: c, ky: ky, kx: kx, channelGroup: cg), weightWord(inChannel: c, ky: ky, kx: kx, channelGroup: cg, weight: weight)))
                    }
                }
            }
        }
        return out
    }

    /// The axon entry of input `(c, y, x)`: every kernel offset that lands inside the tile's
    /// band of the output map (count 0 when none does).
    public func axonEntry(channel c: Int, y iy: Int, x ix: Int, layer: Int) -> AxonEntry {
        let k = kernel, cg = channelGroups
        let ky0 = max(0, iy - outRows.upperBound + 1), ky1 = min(k - 1, iy - outRows.lowerBound)
        let kx0 = max(0, ix - outWidth + 1), kx1 = min(k - 1, ix)
        guard ky1 >= ky0, kx1 >= kx0 else { return AxonEntry(row: firstRow, group: firstGroup, count: 0, layer: layer) }
        return AxonEntry(row: firstRow + ((c * k + ky0) * k + kx0) * cg, group: group(of: outChannels.lowerBound, y: iy - ky0, x: ix - kx0), count: cg,
                         layer: layer, windowRows: ky1 - ky0 + 1, windowCols: kx1 - kx0 + 1)
    }

    /// Everything that keeps this mapping from fitting the PE `c` (empty when it fits).
    public func problems(_ c: PEConfig) -> [String] {
        var p: [String] = []
        if inChannels < 1 || inHeight < 1 || inWidth < 1 { p.append("input map: got \(inChannels)x\(inHeight)x\(inWidth), expected at least 1x1x1") }
        if kernel < 1 || kernel > min(inHeight, inWidth) {
            p.append("kernel: got \(kernel), expected 1...\(max(1, min(inHeight, inWidth))) (at most the \(inHeight)x\(inWidth) input map)")
        }
        if kernel > c.maxKernel { p.append("kernel: got \(kernel), expected at most the PE's maxKernel (\(c.maxKernel))") }
        if outChannels.isEmpty || outChannels.lowerBound < 0 { p.append("outChannels: got \(outChannels), expected a non-empty block of channels") }
        if lanes != c.lanes { p.append("lanes: got \(lanes), expected the PE's \(c.lanes)") }
        if !p.isEmpty { return p }
        if firstGroup < 0 || firstGroup + groupCount > c.stateDepth {
            p.append("groups: \(groupCount) from group \(firstGroup), expected within the PE's \(c.stateDepth) state words")
        }
        if firstRow < 0 || firstRow + rowCount > c.weightRows {
            p.append("weight rows: \(rowCount) from row \(firstRow), expected within the PE's \(c.weightRows)")
        }
        return p
    }
}

/// How a `k × k` sum-pooling layer (stride `k`, weights 1, no bias: SPEC §6) sits on one PE
/// tile, with the layout of `ConvTileMapping`: the tile holds channels `channels` (a block
/// `c0 ..< c1`) at every pooled position, neuron `(c, oy, ox)` is lane `(c − c0) % lanes` of
/// group `firstGroup + (oy·Wo + ox)·cgroups + (c − c0) / lanes`. The weights are `lanes` one-hot
/// rows from `firstRow` (row `firstRow + l` holds 1 in lane `l`), and input `(c, iy, ix)` has a
/// dense entry of one row operation: the one-hot row of its lane on the group of
/// `(c, iy / k, ix / k)`. Inputs outside the block (or beyond the pooled map) have count 0.
public struct PoolTileMapping: Hashable, Sendable {
    /// The input map's height and width (its channels are the output's).
    public var inHeight: Int, inWidth: Int
    /// `size × size` windows, stride `size`.
    public var size: Int
    /// The channels this tile holds.
    public var channels: Range<Int>
    public var lanes: Int
    public var firstGroup: Int, firstRow: Int
    /// The band of pooled rows the tile holds (every row by default).
    public var outRows: Range<Int>

    public init(inHeight: Int, inWidth: Int, size: Int, channels: Range<Int>, lanes: Int, firstGroup: Int = 0, firstRow: Int = 0, outRows: Range<Int>? = nil) {
        self.inHeight = inHeight
        self.inWidth = inWidth
        self.size = size
        self.channels = channels
        self.lanes = lanes
        self.firstGroup = firstGroup
        self.firstRow = firstRow
        self.outRows = outRows ?? 0 ..< inHeight / max(1, size)
    }

    public var outHeight: Int { inHeight / max(1, size) }
    public var outWidth: Int { inWidth / max(1, size) }
    public var channelGroups: Int { (channels.count + lanes - 1) / max(1, lanes) }
    public var groupCount: Int { outRows.count * outWidth * channelGroups }
    /// The one-hot rows: one per lane.
    public var rowCount: Int { lanes }

    /// Dense entries: no strides.
    public func layerParams(theta: Int, mode: NeuronMode) -> LayerParams {
        LayerParams(theta: theta, mode: mode, firstGroup: firstGroup, groupCount: groupCount)
    }

    public func group(of ch: Int, y: Int, x: Int) -> Int { firstGroup + ((y - outRows.lowerBound) * outWidth + x) * channelGroups + (ch - channels.lowerBound) / lanes }
    public func lane(of ch: Int) -> Int { (ch - channels.lowerBound) % lanes }
    public func neuron(of ch: Int, y: Int, x: Int) -> Int { group(of: ch, y: y, x: x) * lanes + lane(of: ch) }

    /// The one-hot weight rows, in row order: row `firstRow + l` holds 1 in lane `l`.
    public var weightRows: [(row: Int, lanes: [Int64])] {
        (0 ..< lanes).map { l in (firstRow + l, (0 ..< lanes).map { $0 == l ? 1 : 0 }) }
    }

    /// The axon entry of input `(ch, y, x)`.
    public func axonEntry(channel ch: Int, y iy: Int, x ix: Int, layer: Int) -> AxonEntry {
        let oy = iy / max(1, size), ox = ix / max(1, size)
        guard channels.contains(ch), outRows.contains(oy), ox < outWidth else { return AxonEntry(row: firstRow, group: firstGroup, count: 0, layer: layer) }
        return AxonEntry(row: firstRow + lane(of: ch), group: group(of: ch, y: oy, x: ox), count: 1, layer: layer)
    }

    /// Everything that keeps this mapping from fitting the PE `c` (empty when it fits).
    public func problems(_ c: PEConfig) -> [String] {
        var p: [String] = []
        if inHeight < 1 || inWidth < 1 { p.append("input map: got \(inHeight)x\(inWidth), expected at least 1x1") }
        if size < 1 || size > min(inHeight, inWidth) { p.append("size: got \(size), expected 1...\(max(1, min(inHeight, inWidth)))") }
        if channels.isEmpty || channels.lowerBound < 0 { p.append("channels: got \(channels), expected a non-empty block of channels") }
        if lanes != c.lanes { p.append("lanes: got \(lanes), expected the PE's \(c.lanes)") }
        if !p.isEmpty { return p }
        if firstGroup < 0 || firstGroup + groupCount > c.stateDepth {
            p.append("groups: \(groupCount) from group \(firstGroup), expected within the PE's \(c.stateDepth) state words")
        }
        if firstRow < 0 || firstRow + rowCount > c.weightRows { p.append("weight rows: \(rowCount) from row \(firstRow), expected within the PE's \(c.weightRows)") }
        return p
    }
}
