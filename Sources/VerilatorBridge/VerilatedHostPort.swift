import CVerilatorShim
import SpikeForgeCore

/// The host loop inside the shared library (`sf_host_run`): one crossing into C++ per call,
/// however many cycles it runs, with `busy` and the handshakes checked in C++.
extension VerilatedModel: HostPortDevice {
    public func runHost(_ port: HostPort, _ request: HostRequest, offering flits: UnsafeBufferPointer<UInt64>, received: inout [UInt64]) -> HostRunResult {
        let i = inputLayout.offsets, o = outputLayout.offsets
        var p = sf_host_port(rst: UInt32(i[port.rst]), in_valid: UInt32(i[port.inValid]), in_flit: UInt32(i[port.inFlit]), out_ready: UInt32(i[port.outReady]),
                             in_ready: UInt32(o[port.inReady]), out_valid: UInt32(o[port.outValid]), out_flit: UInt32(o[port.outFlit]), busy: UInt32(o[port.busy]))
        var total = HostRunResult()
        var left = max(1, request.maxCycles), got = 0
        let cap = hostReceived.count
        while true {
            var q = sf_host_request(max_cycles: UInt64(left), until_received: UInt64(request.untilReceived > 0 ? request.untilReceived - got : 0),
                                    rst: request.rst ? 1 : 0, out_ready: request.outReady ? 1 : 0, until_quiet: request.untilQuiet ? 1 : 0, reserved: 0)
            var r = sf_host_result()
            hostReceived.withUnsafeMutableBufferPointer { buf in
                lib.hostRun(handle, &p, &q, flits.baseAddress.map { $0 + total.taken }, UInt64(flits.count - total.taken), buf.baseAddress, UInt64(cap), &r)
            }
            received.append(contentsOf: hostReceived[0 ..< Int(r.received)])
            total.cycles += Int(r.cycles)
            total.taken += Int(r.taken)
            total.lastOffered = r.last_offered != 0
            total.lastBusy = r.last_busy != 0
            left -= Int(r.cycles)
            got += Int(r.received)
            // The library returns early only when its buffer is full; go on unless the request is met.
            let met = left == 0 || (request.untilQuiet && !total.lastOffered && !total.lastBusy) || (request.untilReceived > 0 && got >= request.untilReceived)
            if met || Int(r.received) < cap { return total }
        }
    }
}
