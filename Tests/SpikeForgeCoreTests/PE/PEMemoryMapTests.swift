import Foundation
import SpikeForgeCore
import Testing

/// The axon-map and layer-parameter words with and without kernel windows, and `maxKernel` in
/// configuration files: absent means 1, and canonical JSON leaves a 1 out so that files and RTL
/// headers of configurations without windows keep their bytes.
@Suite struct PEMemoryMapTests {
    @Test func wordsRoundTrip() {
        var rng = SplitMix64(seed: 0xA1)
        for k in [1, 2, 3, 5, 15] {
            let c = PEConfig(neurons: 128, lanes: 2, layers: 3, axons: 64, weightRows: 1024, maxKernel: k)
            for _ in 0 ..< 200 {
                func r(_ n: Int) -> Int { Int(rng.next() % UInt64(n)) }
                var e = AxonEntry(row: r(c.weightRows), group: r(c.stateDepth), count: r(c.stateDepth + 1), layer: r(c.paramDepth))
                if k > 1 {
                    e.windowRows = r(k + 1)
                    e.windowCols = r(k + 1)
                }
                #expect(e.problems(c).isEmpty)
                #expect(AxonEntry.decode(e.encode(c), c) == e)
                #expect(e.encode(c) >> UInt64(c.geometry(.axonMap).width) == 0)
                var p = LayerParams(theta: r(1 << c.thresholdBits), mode: NeuronMode.allCases[r(3)], firstGroup: r(c.stateDepth), groupCount: r(c.stateDepth + 1))
                if k > 1 {
                    p.rowStride = r(c.weightRows)
                    p.groupStride = r(c.stateDepth)
                }
                #expect(p.problems(c).isEmpty)
                let d = LayerParams.decode(p.encode(c), c)
                #expect(d == LayerParams.Decoded(theta: Int64(p.theta), modeCode: p.mode.code, first: p.firstGroup, count: p.groupCount,
                                                rowStride: p.rowStride, groupStride: p.groupStride))
            }
        }
        // Without windows the words cannot hold one.
        let dense = PEConfig.defaultConfig
        let e = AxonEntry(row: 1, group: 2, count: 3, layer: 0, windowRows: 3, windowCols: 3)
        #expect(e.problems(dense) == ["windowRows: got 3, expected 0...1", "windowCols: got 3, expected 0...1"])
        #expect(LayerParams(theta: 5, mode: .relu, firstGroup: 0, groupCount: 1, rowStride: 4).problems(dense) == ["rowStride: got 4, expected 0...0"])
    }

    @Test func windowIterationOrder() {
        let c = PEConfig(neurons: 64, lanes: 4, axons: 64, weightRows: 64, maxKernel: 3)
        // 2 x 3 window of runs of 2, strides 10 rows and 5 groups; groups wrap below 0.
        let e = AxonEntry(row: 60, group: 3, count: 2, layer: 0, windowRows: 2, windowCols: 3)
        let ops = e.rowOperations(c, rowStride: 10, groupStride: 5)
        #expect(ops.map(\.row) == [60, 61, 62, 63, 0, 1, 6, 7, 8, 9, 10, 11])
        #expect(ops.map(\.group) == [3, 4, 1, 2, 15, 0, 14, 15, 12, 13, 10, 11])
        #expect(e.rowOperations == 12)
        for empty in [AxonEntry(row: 0, group: 0, count: 0, layer: 0, windowRows: 3, windowCols: 3),
                      AxonEntry(row: 0, group: 0, count: 4, layer: 0, windowRows: 0, windowCols: 3),
                      AxonEntry(row: 0, group: 0, count: 4, layer: 0, windowRows: 2, windowCols: 0)] {
            #expect(empty.rowOperations(c, rowStride: 1, groupStride: 1).isEmpty && empty.rowOperations == 0)
        }
        let dense = AxonEntry(row: 5, group: 14, count: 3, layer: 0)
        #expect(dense.rowOperations(c, rowStride: 7, groupStride: 7).map { [$0.row, $0.group] } == [[5, 14], [6, 15], [7, 0]])
    }

    @Test func maxKernelInFiles() throws {
        // A file without it (every config.json before windows) decodes to 1.
        var o = try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(PEConfig.defaultConfig)) as? [String: Any])
        #expect(o["maxKernel"] as? Int == 1, "plain JSON writes every field")
        o["maxKernel"] = nil
        #expect(try JSONDecoder().decode(PEConfig.self, from: JSONSerialization.data(withJSONObject: o)) == .defaultConfig)
        // Canonical JSON leaves the default out and writes any other value.
        #expect(!(try CanonicalJSON.encode(PEConfig.defaultConfig)).contains("maxKernel"))
        let k5 = PEConfig(maxKernel: 5)
        let text = try CanonicalJSON.encode(k5, pretty: true)
        #expect(text.contains("\"maxKernel\" : 5"))
        #expect(try JSONDecoder().decode(PEConfig.self, from: Data(text.utf8)) == k5)
        // The decoding layer takes a file without it when told it is optional, and lists it otherwise.
        let old = Data(try CanonicalJSON.encode(PEConfig.defaultConfig).utf8)
        switch JSONDocument.decode(PEConfig.self, from: old, exemplar: PEConfig.defaultConfig, optional: PEConfig.optionalFields) {
        case let .success(c): #expect(c.maxKernel == 1)
        case let .failure(e): Issue.record("\(e.problems)")
        }
        if case .success = JSONDocument.decode(PEConfig.self, from: old, exemplar: PEConfig.defaultConfig) { Issue.record("maxKernel is not optional by default") }
        // The resolver takes it like any field.
        #expect(try ConfigResolver.resolve(PEConfig.self, overrides: ["maxKernel=7"]).maxKernel == 7)
        #expect(throws: ConfigError.self) { try ConfigResolver.resolve(PEConfig.self, overrides: ["maxKernel=16"]) }
    }
}
