import CycleModels
import SpikeForgeCore
import Testing

/// `NoCOrdering`: the X-Y paths it walks and the rule it states (docs/NOC.md, "Ordering"). The
/// mesh itself is checked against the rule in `TestbenchTests/NoC/NoCOrderingTests`.
@Suite struct NoCRoutingTests {
    typealias P = RouterPort

    @Test func pathsAreXThenYAndHostBoundWestThenNorth() {
        let toNode = NoCOrdering.path(from: .host, to: .node(x: 2, y: 1), cols: 3, rows: 3)
        #expect(toNode.map { "\($0.x)\($0.y)\($0.port.prefix)\($0.output.prefix)" } == ["00we", "10we", "20ws", "21nl"])
        let toHost = NoCOrdering.path(from: .node(x: 2, y: 2), to: .host, cols: 3, rows: 3)
        #expect(toHost.map { "\($0.x)\($0.y)\($0.port.prefix)\($0.output.prefix)" } == ["22lw", "12ew", "02en", "01sn", "00sw"])
        let up = NoCOrdering.path(from: .node(x: 1, y: 2), to: .node(x: 1, y: 0), cols: 3, rows: 3)
        #expect(up.map { "\($0.x)\($0.y)\($0.port.prefix)\($0.output.prefix)" } == ["12ln", "11sn", "10sl"])
    }

    @Test func theRule() {
        let all = Flit(x0: 0, x1: 3, y0: 0, y1: 2).header
        let col0 = Flit(x0: 0, x1: 0, y0: 0, y1: 2).header
        func keeps(_ a: UInt64, _ b: UInt64, _ from: NoCOrdering.Endpoint, _ to: NoCOrdering.Endpoint, queues: Int = 2) -> Bool {
            NoCOrdering.keepsOrder(a, b, from: from, to: to, cols: 4, rows: 3, queues: queues)
        }
        for x in 0 ..< 4 {
            for y in 0 ..< 3 {
                let u = Flit.unicast(x: x, y: y).header
                #expect(keeps(u, u, .host, .node(x: x, y: y)), "unicast pairs keep their order")
                #expect(keeps(all, all, .host, .node(x: x, y: y)), "multicasts to one rectangle keep their order")
                #expect(keeps(all, u, .host, .node(x: x, y: y), queues: 1), "one queue keeps every order")
                // The whole-mesh multicast goes straight on where the unicast turns or ejects,
                // except in the east column's first and last rows, where neither does.
                #expect(keeps(all, u, .host, .node(x: x, y: y)) == (x == 3 && (y == 0 || y == 2)), "(\(x), \(y))")
            }
        }
        // Column 0 against the whole mesh: at (0, 0) the whole mesh also goes east, column 0 not.
        #expect(!keeps(all, col0, .host, .node(x: 0, y: 2)))
        let h = Flit(x0: 0, x1: 0, y0: 0, y1: 0, host: true).header
        #expect(keeps(h, h, .node(x: 3, y: 2), .host), "host-bound flits from one tile keep their order")
    }
}
