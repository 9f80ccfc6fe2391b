import CycleModels
import Foundation
import SpikeForgeCore

/// Per-event energies of the estimate (docs/ENERGY.md gives the derivation and sources).
public enum EnergyModel {
    public struct Event: Sendable {
        public var name: String
        public var picojoules: Double
        public var source: String
    }

    /// pJ per bit of an SRAM access: Horowitz (ISSCC 2014, 45 nm) gives 10 pJ for a 64-bit read
    /// of an 8 KB SRAM and 20 pJ for 32 KB, 100 pJ for 1 MB; interpolated in log(size).
    public static func sramPerBit(bytes: Int) -> Double {
        let pts: [(Double, Double)] = [(8192, 10), (32768, 20), (1_048_576, 100)]
        let s = Double(max(bytes, 1))
        if s <= pts[0].0 { return pts[0].1 / 64 }
        for (a, b) in zip(pts, pts.dropFirst()) where s <= b.0 {
            let t = log(s / a.0) / log(b.0 / a.0)
            return (a.1 + t * (b.1 - a.1)) / 64
        }
        return pts[2].1 / 64
    }

    public static let add = Event(name: "synaptic add (32-bit)", picojoules: 0.1, source: "Horowitz, ISSCC 2014, 45 nm: 32-bit integer add 0.1 pJ")
    public static func flitHop(bits: Int) -> Event {
        Event(name: "flit-hop (\(bits)-bit)", picojoules: Double(bits) * 0.0404 + 10,
              source: "link: Park et al., DATE 2013, 45 nm mesh NoC, 40.4 fJ/bit/mm over an assumed 1 mm tile pitch; router: one 64-bit 8 KB SRAM access (Horowitz 2014, 10 pJ) as a pessimistic stand-in for buffer write, read and crossbar")
    }

    public static func sram(_ c: PEConfig, _ m: PEMemory) -> Event {
        let (w, d) = c.geometry(m)
        return sram(name: "\(m)", width: w, depth: d)
    }

    /// The state SRAM's two banks (`V` of every lane, `z` of every lane), each accessed alone.
    public static func stateBanks(_ c: PEConfig) -> (v: Event, z: Event) {
        let d = c.geometry(.state).depth
        return (sram(name: "state V bank", width: c.lanes * c.vBits, depth: d), sram(name: "state z bank", width: c.lanes * c.zBits, depth: d))
    }

    static func sram(name: String, width w: Int, depth d: Int) -> Event {
        let bytes = w * d / 8
        let e = sramPerBit(bytes: bytes) * Double(w)
        let size = bytes < 1024 ? "\(bytes) B" : "\(bytes / 1024) KB"
        return Event(name: "\(name) SRAM access (\(w)-bit word, \(size))", picojoules: e,
                     source: "Horowitz, ISSCC 2014, 45 nm: 64-bit SRAM read 10 pJ (8 KB) / 20 pJ (32 KB), per bit, interpolated by size")
    }

    /// The estimate of a run: each event's count per image (synaptic adds, every SRAM that was
    /// accessed, flit-hops) and the total. What `simulate` prints and `sweep` tabulates.
    public struct Estimate: Sendable {
        public var items: [(event: Event, perImage: Double)] = []
        public var picojoulesPerImage: Double { items.map { $0.event.picojoules * $0.perImage }.reduce(0, +) }
        public var nanojoulesPerImage: Double { picojoulesPerImage / 1000 }
    }

    /// The estimate for `images` images of a run on PEs `c` that counted `events` and `flitHops`.
    public static func estimate(_ c: PEConfig, events e: PECoreModel.Counters, flitHops: Int, images n: Double) -> Estimate {
        var r = Estimate()
        r.items.append((add, Double(e.synapticOps) / n))
        for m in c.srams where e.sramReads[m.rawValue] + e.sramWrites[m.rawValue] > 0 {
            let accesses = Double(e.sramReads[m.rawValue] + e.sramWrites[m.rawValue]) / n
            if m == .state {
                let banks = stateBanks(c)
                r.items.append((banks.v, accesses))
                if e.stateZReads + e.stateZWrites > 0 { r.items.append((banks.z, Double(e.stateZReads + e.stateZWrites) / n)) }
            } else {
                r.items.append((sram(c, m), accesses))
            }
        }
        r.items.append((flitHop(bits: c.flitWidth), Double(flitHops) / n))
        return r
    }
}
