import SpikeForgeCore
import Testing

/// `ConvTileMapping` and `PoolTileMapping` against the layers' definitions (SPEC §6): for every
/// input of random geometries, the row operations its one axon entry makes (`AxonEntry`'s window
/// iteration with the layer's strides) deliver, lane by lane, exactly the weights of the input's
/// fan-out to exactly the neurons the layout names, and nothing else.
@Suite struct ConvMappingTests {
    /// Large enough memories that no geometry below wraps.
    static let config = PEConfig(neurons: 16384, lanes: 4, layers: 2, axons: 64, weightRows: 8192, maxKernel: 5)

    /// Neuron → summed weight, from the row operations of `entry`.
    static func delivered(_ entry: AxonEntry, strides: (rowStride: Int, groupStride: Int), rows: [Int: [Int64]], lanes: Int) -> [Int: Int64] {
        var got: [Int: Int64] = [:]
        for op in entry.rowOperations(config, rowStride: strides.rowStride, groupStride: strides.groupStride) {
            let word = rows[op.row] ?? Array(repeating: 0, count: lanes)
            for l in 0 ..< lanes where word[l] != 0 { got[op.group * lanes + l, default: 0] += word[l] }
        }
        return got
    }

    @Test func convolutionEntriesDeliverTheFanOut() {
        var rng = SplitMix64(seed: 0xC0)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for trial in 0 ..< 40 {
            let lanes = 1 + r(4), h = 3 + r(7), w = 3 + r(7), k = 1 + r(min(h, w, 5)), inC = 1 + r(3), outC = 1 + r(9)
            let c0 = r(outC), c1 = c0 + 1 + r(outC - c0)
            let m = ConvTileMapping(inChannels: inC, inHeight: h, inWidth: w, kernel: k, outChannels: c0 ..< c1, lanes: lanes, firstGroup: r(50), firstRow: r(50))
            var c = Self.config
            c.lanes = lanes
            #expect(m.problems(c).isEmpty, "trial \(trial): \(m.problems(c))")
            // Distinct nonzero weights, so a wrong row or lane shows.
            let weight = { (o: Int, ch: Int, ky: Int, kx: Int) -> Int64 in Int64(1 + ((o * 7 + ch) * 11 + ky) * 13 + kx) }
            var rows: [Int: [Int64]] = [:]
            for (row, word) in m.weightRows(weight) {
                #expect(rows[row] == nil, "trial \(trial): row \(row) written twice")
                rows[row] = word
            }
            #expect(rows.count == m.rowCount && rows.keys.min() == m.firstRow && rows.keys.max() == m.firstRow + m.rowCount - 1)
            let params = m.layerParams(theta: 1, mode: .reluFloor)
            #expect(params.rowStride == k * m.channelGroups && params.groupStride == m.outWidth * m.channelGroups)
            for ch in 0 ..< inC {
                for iy in 0 ..< h {
                    for ix in 0 ..< w {
                        let e = m.axonEntry(channel: ch, y: iy, x: ix, layer: 1)
                        #expect(e.count == m.channelGroups && e.layer == 1 && (1 ... k).contains(e.windowRows) && (1 ... k).contains(e.windowCols))
                        var want: [Int: Int64] = [:]
                        for ky in 0 ..< k {
                            for kx in 0 ..< k {
                                let oy = iy - ky, ox = ix - kx
                                guard (0 ..< m.outHeight).contains(oy), (0 ..< m.outWidth).contains(ox) else { continue }
                                for o in c0 ..< c1 { want[m.neuron(of: o, y: oy, x: ox), default: 0] += weight(o, ch, ky, kx) }
                            }
                        }
                        let got = Self.delivered(e, strides: m.layerStrides, rows: rows, lanes: lanes)
                        #expect(got == want, "trial \(trial) (\(m)): input (\(ch), \(iy), \(ix)), entry \(e)")
                        if got != want { return }
                    }
                }
            }
            // The layout: every output neuron in the layer's groups, one lane each.
            var seen = Set<Int>()
            for o in c0 ..< c1 {
                for y in 0 ..< m.outHeight {
                    for x in 0 ..< m.outWidth {
                        let g = m.group(of: o, y: y, x: x)
                        #expect((m.firstGroup ..< m.firstGroup + m.groupCount).contains(g))
                        #expect(seen.insert(m.neuron(of: o, y: y, x: x)).inserted)
                    }
                }
            }
        }
    }

    @Test func poolEntriesDeliverOneToTheirWindow() {
        var rng = SplitMix64(seed: 0xB0)
        func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
        for trial in 0 ..< 40 {
            let lanes = 1 + r(4), k = 1 + r(3), h = k * (1 + r(4)) + r(2), w = k * (1 + r(4)) + r(2), channels = 1 + r(9)
            let c0 = r(channels), c1 = c0 + 1 + r(channels - c0)
            let m = PoolTileMapping(inHeight: h, inWidth: w, size: k, channels: c0 ..< c1, lanes: lanes, firstGroup: r(50), firstRow: r(50))
            var c = Self.config
            c.lanes = lanes
            #expect(m.problems(c).isEmpty, "trial \(trial): \(m.problems(c))")
            let rows = Dictionary(uniqueKeysWithValues: m.weightRows.map { ($0.row, $0.lanes) })
            for ch in 0 ..< channels {
                for iy in 0 ..< h {
                    for ix in 0 ..< w {
                        let e = m.axonEntry(channel: ch, y: iy, x: ix, layer: 0)
                        #expect(e.windowRows == 1 && e.windowCols == 1)
                        let inside = (c0 ..< c1).contains(ch) && iy / k < m.outHeight && ix / k < m.outWidth
                        let want: [Int: Int64] = inside ? [m.neuron(of: ch, y: iy / k, x: ix / k): 1] : [:]
                        #expect(Self.delivered(e, strides: (0, 0), rows: rows, lanes: lanes) == want, "trial \(trial) (\(m)): input (\(ch), \(iy), \(ix))")
                    }
                }
            }
        }
    }

    @Test func problemsListWhatDoesNotFit() {
        let c = PEConfig(neurons: 256, lanes: 4, weightRows: 256, maxKernel: 3)
        let big = ConvTileMapping(inChannels: 3, inHeight: 28, inWidth: 28, kernel: 5, outChannels: 0 ..< 16, lanes: 8)
        let p = big.problems(c)
        #expect(p.contains { $0.hasPrefix("kernel: got 5, expected at most the PE's maxKernel (3)") }, "\(p)")
        #expect(p.contains { $0.hasPrefix("lanes: got 8") }, "\(p)")
        let wide = ConvTileMapping(inChannels: 3, inHeight: 28, inWidth: 28, kernel: 3, outChannels: 0 ..< 16, lanes: 4)
        let q = wide.problems(c)
        #expect(q.contains { $0.hasPrefix("groups: 2704 from group 0") }, "\(q)")
        #expect(!q.contains { $0.hasPrefix("weight rows:") }, "108 rows fit: \(q)")
        #expect(ConvTileMapping(inChannels: 1, inHeight: 4, inWidth: 4, kernel: 5, outChannels: 0 ..< 4, lanes: 4).problems(c).contains { $0.hasPrefix("kernel: got 5, expected 1...4") })
        #expect(PoolTileMapping(inHeight: 4, inWidth: 4, size: 2, channels: 3 ..< 3, lanes: 4).problems(c).contains { $0.hasPrefix("channels:") })
    }
}
