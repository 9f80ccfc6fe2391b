import SpikeForgeCore
import VerilatorBridge

extension Stimulus {
    /// A random flit for a `cols × rows` mesh: 65% unicast, 25% multicast rectangles (corners may
    /// lie outside the mesh and are clamped), 10% host-bound; random type and payload.
    public static func randomFlit(_ rng: inout SplitMix64, cols: Int, rows: Int, width: Int) -> [UInt64] {
        let r = rng.next() % 100
        var f: Flit
        if r < 65 {
            f = .unicast(x: Int(rng.next() % UInt64(cols)), y: Int(rng.next() % UInt64(rows)))
        } else if r < 90 {
            f = Flit(x0: Int(rng.next() % 16), x1: Int(rng.next() % UInt64(cols)), y0: Int(rng.next() % UInt64(rows)), y1: Int(rng.next() % 16))
        } else {
            f = Flit(x0: Int(rng.next() % 16), x1: 0, y0: 0, y1: 0, host: true)
        }
        f.type = FlitType(rawValue: Int(rng.next() % 5))!
        f.payload = rng.next()
        return f.encode(width: width)
    }

    /// Mesh: every local port and the host inject in phases of light to heavy load; ejection
    /// back-pressure in phases; rare resets.
    public static func mesh(_ c: MeshConfig) -> StimulusFunction {
        var load = LoadPhases(period: 300, inputs: [0.02, 0.1, 0.3, 0.6, 1.0], outputs: [1.0, 0.8, 0.3], pIn: 0.2, pOut: 1.0)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.0003))
            f.set(1, rng.chance(pIn / 2))
            f.setWide(2, randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth))
            f.set(3, rng.chance(pOut))
            var valid: [UInt64] = [], ready: [UInt64] = [], flits: [UInt64] = []
            for _ in 0 ..< c.nodes {
                valid.append(rng.chance(pIn) ? 1 : 0)
                ready.append(rng.chance(pOut) ? 1 : 0)
                let fl = randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth)
                flits.append(fl[0])
            }
            f.setWide(4, Bits.packFields(valid, width: 1))
            f.setWide(6, Bits.packFields(ready, width: 1))
            f.setWide(5, c.flitWidth <= 64 ? Bits.packFields(flits, width: c.flitWidth) : flits.flatMap { [$0, 0] })
        }
    }

    /// A lone router at (`x`, `y`): every input offers random flits (including headers no X-Y
    /// route would produce), every output has random back-pressure.
    public static func router(_ c: RouterConfig, x: Int, y: Int) -> StimulusFunction {
        var load = LoadPhases(period: 256, inputs: [0.1, 0.5, 0.9], outputs: [1.0, 0.6, 0.2], pIn: 0.5, pOut: 0.7)
        return { rng, cycle, f in
            load.advance(&rng, cycle: cycle)
            let pIn = load.pIn, pOut = load.pOut
            f.set(0, cycle < 2 || rng.chance(0.0005))
            f[1] = UInt64(x)
            f[2] = UInt64(y)
            for p in 0 ..< 5 {
                f.set(3 + 3 * p, rng.chance(pIn))
                f.setWide(4 + 3 * p, rng.chance(0.1) ? [rng.next(), rng.next()] : randomFlit(&rng, cols: c.cols, rows: c.rows, width: c.flitWidth))
                f.set(5 + 3 * p, rng.chance(pOut))
            }
        }
    }
}
