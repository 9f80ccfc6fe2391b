import CVerilatorShim
import Foundation
import HWIR
import SpikeForgeCore

#if canImport(Glibc)
import Glibc
#endif

/// Loading or driving a Verilated library failed.
public enum CoSimError: Error, Equatable, CustomStringConvertible {
    case loadFailed(path: String, reason: String)
    case missingSymbol(path: String, symbol: String)
    case abiMismatch(path: String, got: UInt32, expected: UInt32)
    case portMismatch(path: String, got: [String], expected: [String])
    case traceUnavailable(reason: String)
    case unknownPort(name: String, known: [String])

    public var description: String {
        switch self {
        case let .loadFailed(p, r): return "cannot load Verilated model '\(p)': \(r)"
        case let .missingSymbol(p, s): return "'\(p)' has no symbol \(s): not a SpikeForge shim"
        case let .abiMismatch(p, g, e): return "'\(p)': shim ABI version \(g), expected \(e); rebuild it"
        case let .portMismatch(p, g, e): return "'\(p)': ports \(g), expected \(e)"
        case let .traceUnavailable(r): return "waveform tracing unavailable: \(r)"
        case let .unknownPort(n, k): return "no port '\(n)'; ports: \(k.joined(separator: ", "))"
        }
    }
}

/// The shim's entry points, looked up once per library.
struct ShimLibrary: @unchecked Sendable {
    let create: sf_create_fn
    let destroy: sf_destroy_fn
    let step: sf_step_fn
    let poke: sf_poke_fn
    let peek: sf_peek_fn
    let eval: sf_eval_fn
    let traceOpen: sf_trace_open_fn
    let traceClose: sf_trace_close_fn
    let benchNative: sf_bench_native_fn
    let cycles: sf_cycles_fn
    let hostRun: sf_host_run_fn
    let inputs: PortLayout
    let outputs: PortLayout

    nonisolated(unsafe) private static var loaded: [String: ShimLibrary] = [:]
    private static let lock = NSLock()

    /// Libraries stay loaded for the life of the process (Verilator's runtime is not meant to
    /// be unloaded), and each path is opened once.
    static func open(_ path: String) throws(CoSimError) -> ShimLibrary {
        lock.lock()
        defer { lock.unlock() }
        if let l = loaded[path] { return l }
        guard let h = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .loadFailed(path: path, reason: dlerror().map { String(cString: $0) } ?? "unknown")
        }
        func sym<T>(_ name: String, _: T.Type) throws(CoSimError) -> T {
            guard let p = dlsym(h, name) else { throw .missingSymbol(path: path, symbol: name) }
            return unsafeBitCast(p, to: T.self)
        }
        let abi = try sym("sf_abi_version", sf_abi_version_fn.self)()
        if abi != SF_SHIM_ABI_VERSION { throw .abiMismatch(path: path, got: abi, expected: SF_SHIM_ABI_VERSION) }
        let count = Int(try sym("sf_port_count", sf_port_count_fn.self)())
        let infos = try sym("sf_ports", sf_ports_fn.self)()!
        var ins: [PortSpec] = []
        var outs: [PortSpec] = []
        for i in 0 ..< count {
            let p = infos[i]
            let spec = PortSpec(String(cString: p.name), width: Int(p.width), signed: p.is_signed != 0)
            if p.is_output != 0 { outs.append(spec) } else { ins.append(spec) }
        }
        let lib = ShimLibrary(
            create: try sym("sf_create", sf_create_fn.self), destroy: try sym("sf_destroy", sf_destroy_fn.self),
            step: try sym("sf_step", sf_step_fn.self), poke: try sym("sf_poke", sf_poke_fn.self),
            peek: try sym("sf_peek", sf_peek_fn.self), eval: try sym("sf_eval", sf_eval_fn.self),
            traceOpen: try sym("sf_trace_open", sf_trace_open_fn.self), traceClose: try sym("sf_trace_close", sf_trace_close_fn.self),
            benchNative: try sym("sf_bench_native", sf_bench_native_fn.self), cycles: try sym("sf_cycles", sf_cycles_fn.self),
            hostRun: try sym("sf_host_run", sf_host_run_fn.self),
            inputs: PortLayout(ins), outputs: PortLayout(outs)
        )
        loaded[path] = lib
        return lib
    }
}

/// One instance of a Verilated design, with its own `VerilatedContext`, driven through the
/// C shim in batches: `run` passes whole arrays of stimulus and response, so Swift makes one C
/// call per batch, not one per signal per cycle. Follows the `ClockedDevice` timing contract.
public final class VerilatedModel: ClockedDevice {
    let lib: ShimLibrary
    let handle: UnsafeMutableRawPointer
    /// Where `sf_host_run` stores the flits it receives; a full buffer ends a call into the
    /// library early (`runHost` then calls again).
    var hostReceived = [UInt64](repeating: 0, count: 1024)
    /// The size of that buffer, in flits (at least 1).
    public var hostBufferFlits: Int {
        get { hostReceived.count }
        set { hostReceived = [UInt64](repeating: 0, count: max(1, newValue)) }
    }
    public let inputLayout: PortLayout
    public let outputLayout: PortLayout
    public private(set) var tracing = false

    /// Loads `built` (from `VerilatorBuild.build`) and creates a fresh instance.
    public init(_ built: BuiltModel) throws(CoSimError) {
        lib = try ShimLibrary.open(built.library.path)
        let expected = built.top.ports.filter { $0.name != built.top.clock }
        let got = lib.inputs.ports + lib.outputs.ports
        let want = expected.filter { $0.direction == .input } + expected.filter { $0.direction == .output }
        if got.map(\.description) != want.map({ PortSpec($0.name, width: $0.type.width, signed: $0.type.signed).description }) {
            throw .portMismatch(path: built.library.path, got: got.map(\.description), expected: want.map(\.name))
        }
        handle = lib.create()!
        inputLayout = lib.inputs
        outputLayout = lib.outputs
    }

    deinit {
        lib.destroy(handle)
    }

    public func run(cycles: Int, inputs: UnsafeBufferPointer<UInt64>, outputs: UnsafeMutableBufferPointer<UInt64>) {
        precondition(inputs.count >= cycles * inputLayout.stride && outputs.count >= cycles * outputLayout.stride)
        lib.step(handle, UInt64(cycles), inputs.baseAddress, outputs.baseAddress)
    }

    /// Runs `cycles` cycles from arrays; returns the outputs.
    public func run(cycles: Int, inputs: [UInt64]) -> [UInt64] {
        var out = [UInt64](repeating: 0, count: cycles * outputLayout.stride)
        inputs.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in run(cycles: cycles, inputs: i, outputs: o) } }
        return out
    }

    /// Sets an input port (any width) without clocking; call `eval()` to settle.
    public func poke(_ name: String, _ words: [UInt64]) throws(CoSimError) {
        guard let i = inputLayout.index(of: name) else { throw .unknownPort(name: name, known: inputLayout.ports.map(\.name)) }
        var w = words + Array(repeating: 0, count: max(0, inputLayout.ports[i].words - words.count))
        lib.poke(handle, UInt32(i), &w)
    }

    /// Reads an output port (any width), least significant word first.
    public func peek(_ name: String) throws(CoSimError) -> [UInt64] {
        guard let i = outputLayout.index(of: name) else { throw .unknownPort(name: name, known: outputLayout.ports.map(\.name)) }
        var w = [UInt64](repeating: 0, count: outputLayout.ports[i].words)
        lib.peek(handle, UInt32(inputLayout.ports.count + i), &w)
        return w
    }

    public func eval() { lib.eval(handle) }

    /// Cycles run so far.
    public var cycles: UInt64 { lib.cycles(handle) }

    /// Starts an FST waveform (viewable in GTKWave). The library must be built with
    /// `BuildOptions(trace: true)`.
    public func trace(to path: String) throws(CoSimError) {
        let r = lib.traceOpen(handle, path)
        if r == -1 { throw .traceUnavailable(reason: "the model was built without tracing; build with BuildOptions(trace: true)") }
        if r != 0 { throw .traceUnavailable(reason: "cannot open '\(path)' for writing") }
        tracing = true
    }

    public func closeTrace() {
        lib.traceClose(handle)
        tracing = false
    }

    /// The benchmark reference: a plain C++ loop replaying `stimulus` (`batch` cycles) `rounds`
    /// times, doing per cycle what `run` does, without crossing into Swift.
    public func benchNative(rounds: Int, batch: Int, stimulus: [UInt64]) -> UInt64 {
        precondition(stimulus.count >= batch * inputLayout.stride)
        return stimulus.withUnsafeBufferPointer { lib.benchNative(handle, UInt64(rounds), UInt64(batch), $0.baseAddress) }
    }
}
