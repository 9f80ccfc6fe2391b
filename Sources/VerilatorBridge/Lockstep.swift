import Foundation
import SpikeForgeCore

/// Fills the input frame of one cycle from a seeded generator.
public typealias StimulusFunction = (inout SplitMix64, Int, inout PortValues) -> Void

/// A difference between the reference and the device under test.
public struct LockstepMismatch: Error, CustomStringConvertible {
    public struct PortDiff: Sendable, CustomStringConvertible {
        public var port: String
        public var expected: String
        public var got: String
        public var description: String { "\(port): expected \(expected), got \(got)" }
    }

    public var seed: UInt64
    public var cycle: Int
    public var configuration: String
    public var diffs: [PortDiff]
    public var inputs: [String]
    public var referenceName: String
    public var dutName: String

    public var description: String {
        """
        lockstep mismatch at cycle \(cycle) (seed \(seed); re-run with SPIKEFORGE_SEED=\(seed))
          configuration: \(configuration)
          reference: \(referenceName), device under test: \(dutName)
          inputs this cycle: \(inputs.joined(separator: ", "))
        \(diffs.map { "  - \($0)" }.joined(separator: "\n"))
        """
    }
}

/// The two sides do not have the same ports.
public struct LockstepInterfaceError: Error, CustomStringConvertible {
    public var problems: [String]
    public var description: String { "lockstep interface mismatch:\n" + problems.map { "  - \($0)" }.joined(separator: "\n") }
}

public struct LockstepReport: Sendable {
    public var cycles: Int
    public var seed: UInt64
    public var referenceSeconds: Double
    public var dutSeconds: Double
}

/// One generic lockstep harness for every block: it runs a reference (usually the Swift cycle
/// model) and a device under test (usually the Verilated RTL) on the same seeded random
/// stimulus, in batches, and compares every output port on every cycle.
public enum Lockstep {
    /// The seed to use: `$SPIKEFORGE_SEED` when set (to replay a failure), else `fallback`.
    public static func seed(default fallback: UInt64) -> UInt64 {
        ProcessInfo.processInfo.environment["SPIKEFORGE_SEED"].flatMap { UInt64($0) } ?? fallback
    }

    /// - Parameters:
    ///   - stimulus: fills the input frame of cycle `cycle` (in the reference's port order).
    ///     It cannot see outputs; blocks with handshakes are driven with random valid/ready.
    /// - Throws: `LockstepInterfaceError` if ports differ, `LockstepMismatch` on the first
    ///   differing cycle.
    @discardableResult
    public static func run<R: ClockedDevice, D: ClockedDevice>(
        reference: inout R, dut: inout D, cycles: Int, seed: UInt64, configuration: String, batch: Int = 4096,
        stimulus: (inout SplitMix64, Int, inout PortValues) -> Void
    ) throws -> LockstepReport {
        let rin = reference.inputLayout, rout = reference.outputLayout
        let din = dut.inputLayout, dout = dut.outputLayout
        // Map by port name; check widths and signedness.
        var problems: [String] = []
        func mapping(_ a: PortLayout, _ b: PortLayout, _ what: String) -> [Int] {
            var m: [Int] = []
            for p in a.ports {
                if let j = b.index(of: p.name) {
                    if b.ports[j] != p { problems.append("\(what) \(p.name): reference \(p), device \(b.ports[j])") }
                    m.append(j)
                } else {
                    problems.append("\(what) \(p.name) is missing from the device under test")
                    m.append(-1)
                }
            }
            for p in b.ports where a.index(of: p.name) == nil { problems.append("\(what) \(p.name) is missing from the reference") }
            return m
        }
        let inMap = mapping(rin, din, "input")
        let outMap = mapping(rout, dout, "output")
        if !problems.isEmpty { throw LockstepInterfaceError(problems: problems) }
        let sameIn = rin == din
        let sameOut = rout == dout

        var rng = SplitMix64(seed: seed)
        var rIn = [UInt64](), dIn = [UInt64]()
        var rOut = [UInt64](), dOut = [UInt64]()
        var frame = PortValues(rin)
        var rt = 0.0, dt = 0.0
        var done = 0
        while done < cycles {
            let n = min(batch, cycles - done)
            rIn.removeAll(keepingCapacity: true)
            for c in 0 ..< n {
                for k in frame.words.indices { frame.words[k] = 0 }
                stimulus(&rng, done + c, &frame)
                rIn += frame.words
            }
            if sameIn {
                dIn = rIn
            } else {
                dIn = [UInt64](repeating: 0, count: n * din.stride)
                for c in 0 ..< n {
                    for (i, j) in inMap.enumerated() {
                        for k in 0 ..< rin.ports[i].words { dIn[c * din.stride + din.offsets[j] + k] = rIn[c * rin.stride + rin.offsets[i] + k] }
                    }
                }
            }
            rOut = [UInt64](repeating: 0, count: n * rout.stride)
            dOut = [UInt64](repeating: 0, count: n * dout.stride)
            var t0 = DispatchTime.now().uptimeNanoseconds
            rIn.withUnsafeBufferPointer { i in rOut.withUnsafeMutableBufferPointer { o in reference.run(cycles: n, inputs: i, outputs: o) } }
            var t1 = DispatchTime.now().uptimeNanoseconds
            rt += Double(t1 - t0) / 1e9
            t0 = t1
            dIn.withUnsafeBufferPointer { i in dOut.withUnsafeMutableBufferPointer { o in dut.run(cycles: n, inputs: i, outputs: o) } }
            t1 = DispatchTime.now().uptimeNanoseconds
            dt += Double(t1 - t0) / 1e9
            if sameOut && rOut == dOut {
                done += n
                continue
            }
            for c in 0 ..< n {
                let re = PortValues(rout, words: rOut[c * rout.stride ..< (c + 1) * rout.stride])
                var diffs: [LockstepMismatch.PortDiff] = []
                for (i, j) in outMap.enumerated() {
                    let dw = Array(dOut[c * dout.stride + dout.offsets[j] ..< c * dout.stride + dout.offsets[j] + dout.ports[j].words])
                    if Array(re.wide(i)) != dw {
                        var dv = PortValues(dout)
                        dv.setWide(j, dw)
                        diffs.append(.init(port: rout.ports[i].name, expected: re.hex(i), got: dv.hex(j)))
                    }
                }
                if !diffs.isEmpty {
                    let inp = PortValues(rin, words: rIn[c * rin.stride ..< (c + 1) * rin.stride])
                    throw LockstepMismatch(
                        seed: seed, cycle: done + c, configuration: configuration, diffs: diffs,
                        inputs: rin.ports.indices.map { "\(rin.ports[$0].name)=\(inp.hex($0))" },
                        referenceName: String(describing: R.self), dutName: String(describing: D.self)
                    )
                }
            }
            done += n
        }
        return LockstepReport(cycles: cycles, seed: seed, referenceSeconds: rt, dutSeconds: dt)
    }
}
