/// Where a device's host port lies in its frames: a synchronous reset, a valid/ready input
/// (flits from the host), a valid/ready output (flits to the host) and `busy`. Indices into
/// `inputLayout` and `outputLayout`; every port of it fits one 64-bit word.
public struct HostPort: Sendable, Equatable {
    public let rst: Int, inValid: Int, inFlit: Int, outReady: Int
    public let inReady: Int, outValid: Int, outFlit: Int, busy: Int

    /// The system's host port (`rst, host_in_valid, host_in_flit, host_out_ready` in;
    /// `host_in_ready, host_out_valid, host_out_flit, busy` out), or nil when a port is missing
    /// or wider than 64 bits.
    public init?(inputs: PortLayout, outputs: PortLayout) {
        func find(_ l: PortLayout, _ name: String) -> Int? { l.index(of: name).flatMap { l.ports[$0].words == 1 ? $0 : nil } }
        guard let rst = find(inputs, "rst"), let inValid = find(inputs, "host_in_valid"), let inFlit = find(inputs, "host_in_flit"),
              let outReady = find(inputs, "host_out_ready"), let inReady = find(outputs, "host_in_ready"),
              let outValid = find(outputs, "host_out_valid"), let outFlit = find(outputs, "host_out_flit"), let busy = find(outputs, "busy")
        else { return nil }
        (self.rst, self.inValid, self.inFlit, self.outReady) = (rst, inValid, inFlit, outReady)
        (self.inReady, self.outValid, self.outFlit, self.busy) = (inReady, outValid, outFlit, busy)
    }
}

/// The host port's outputs in one cycle (before the edge).
public struct HostPortOutputs: Sendable, Equatable {
    public var inReady: Bool, outValid: Bool, outFlit: UInt64, busy: Bool

    @inlinable public init(inReady: Bool, outValid: Bool, outFlit: UInt64, busy: Bool) {
        (self.inReady, self.outValid, self.outFlit, self.busy) = (inReady, outValid, outFlit, busy)
    }
}

/// One call of the host loop: the same `rst` and `host_out_ready` in every cycle, and when to
/// stop. It stops after the first cycle that meets any condition asked for, and at `maxCycles`.
public struct HostRequest: Sendable, Equatable {
    /// Cycles at most (at least 1).
    public var maxCycles: Int
    public var rst = false
    /// The host takes what the system offers (false: every cycle of this call stalls).
    public var outReady = true
    /// Stop after a cycle that offers nothing and sees `busy` low: every queued flit has gone in
    /// and the system is quiet (`busy` is sampled before the edge, so a cycle that offers a flit
    /// cannot show its effect).
    public var untilQuiet = false
    /// Stop once this many flits have been received in this call (0: no such stop).
    public var untilReceived = 0

    @inlinable public init(maxCycles: Int, rst: Bool = false, outReady: Bool = true, untilQuiet: Bool = false, untilReceived: Int = 0) {
        self.maxCycles = maxCycles
        self.rst = rst
        self.outReady = outReady
        self.untilQuiet = untilQuiet
        self.untilReceived = untilReceived
    }
}

/// What one call of the host loop did.
public struct HostRunResult: Sendable, Equatable {
    public var cycles = 0
    /// Flits of the queue taken (`host_in_valid` and `host_in_ready` high, not in reset), from
    /// its front.
    public var taken = 0
    /// The last cycle offered a flit; its `busy`.
    public var lastOffered = false, lastBusy = false

    @inlinable public init(cycles: Int = 0, taken: Int = 0, lastOffered: Bool = false, lastBusy: Bool = false) {
        (self.cycles, self.taken, self.lastOffered, self.lastBusy) = (cycles, taken, lastOffered, lastBusy)
    }
}

/// A device whose host port can be driven many cycles per call: the host offers a queue of
/// flits on the valid/ready input (the next one each cycle, taken when ready), collects what the
/// output offers (when `outReady`, outside reset), and stops as `HostRequest` says. Every
/// `ClockedDevice` gets it cycle by cycle through frames (`run(cycles: 1, …)`); an engine may
/// run the loop natively (the Verilator shim's `sf_host_run`) or through a faster cycle
/// (`SystemModel.hostCycle`), with exactly the same cycles.
public protocol HostPortDevice: ClockedDevice {
    /// One cycle of the host port: outputs before the edge, then the edge.
    mutating func hostCycle(_ port: HostPort, rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) -> HostPortOutputs
    /// Runs the host loop; appends the flits received to `received`.
    mutating func runHost(_ port: HostPort, _ request: HostRequest, offering flits: UnsafeBufferPointer<UInt64>, received: inout [UInt64]) -> HostRunResult
}

extension HostPortDevice {
    /// Through one frame per cycle.
    public mutating func hostCycle(_ port: HostPort, rst: Bool, inValid: Bool, inFlit: UInt64, outReady: Bool) -> HostPortOutputs {
        var frame = PortValues(inputLayout)
        frame.set(port.rst, rst)
        frame.set(port.outReady, outReady)
        if inValid {
            frame.set(port.inValid, true)
            frame[port.inFlit] = inFlit
        }
        var out = [UInt64](repeating: 0, count: outputLayout.stride)
        frame.words.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in run(cycles: 1, inputs: i, outputs: o) } }
        let o = PortValues(outputLayout, words: out)
        return HostPortOutputs(inReady: o.bool(port.inReady), outValid: o.bool(port.outValid), outFlit: o[port.outFlit], busy: o.bool(port.busy))
    }

    /// The loop, one `hostCycle` per cycle.
    @inlinable
    public mutating func runHost(_ port: HostPort, _ request: HostRequest, offering flits: UnsafeBufferPointer<UInt64>, received: inout [UInt64]) -> HostRunResult {
        var r = HostRunResult()
        var got = 0
        while r.cycles < max(1, request.maxCycles) {
            let offered = r.taken < flits.count
            let o = hostCycle(port, rst: request.rst, inValid: offered, inFlit: offered ? flits[r.taken] : 0, outReady: request.outReady)
            r.cycles += 1
            r.lastOffered = offered
            r.lastBusy = o.busy
            if !request.rst {
                if offered && o.inReady { r.taken += 1 }
                if o.outValid && request.outReady {
                    received.append(o.outFlit)
                    got += 1
                }
            }
            if request.untilQuiet && !offered && !o.busy { break }
            if request.untilReceived > 0 && got >= request.untilReceived { break }
        }
        return r
    }
}
