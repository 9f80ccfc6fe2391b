import Dispatch
import Foundation

/// Ctrl-C (SIGINT) and SIGTERM as a request to stop at the next safe point: the signals are
/// caught by Dispatch sources (no work in a signal handler), the first is recorded for the
/// trainer to see between batches, and a second one ends the process at once (the default
/// action; outputs are atomic, so nothing is left half-written).
final class StopSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Int32?
    private var sources: [DispatchSourceSignal] = []
    static let signals = [SIGINT, SIGTERM]

    /// The first signal received, if any.
    var requested: Int32? { lock.withLock { first } }

    static func install() -> StopSignal {
        let s = StopSignal()
        for sig in signals {
            signal(sig, SIG_IGN)
            let src = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            src.setEventHandler { s.received(sig) }
            src.resume()
            s.sources.append(src)
        }
        return s
    }

    private func received(_ sig: Int32) {
        let again = lock.withLock { () -> Bool in
            if first != nil { return true }
            first = sig
            return false
        }
        if again {
            signal(sig, SIG_DFL)
            raise(sig)
            return
        }
        FileHandle.standardError.write(Data("\nstopping after this batch (the last completed epoch is kept); press Ctrl-C again to quit at once\n".utf8))
    }

    func uninstall() {
        for s in sources { s.cancel() }
        sources = []
        for sig in Self.signals { signal(sig, SIG_DFL) }
    }

    /// The command that continues: this `train` command line with `--resume CHECKPOINT`, or a
    /// `train` with the same options when another command (`flow`) was training.
    static func resumeCommand(checkpoint: String, out: String) -> String {
        var args = Array(CommandLine.arguments.dropFirst())
        guard args.first == "train" else { return "spikeforge train <the same options> --out \(out) --resume \(checkpoint)" }
        var kept: [String] = []
        var skip = false
        for a in args {
            if skip { skip = false; continue }
            if a == "--resume" { skip = true; continue }
            if a.hasPrefix("--resume=") { continue }
            kept.append(a)
        }
        args = kept + ["--resume", checkpoint]
        return "spikeforge " + args.map(shellQuoted).joined(separator: " ")
    }

    static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@".contains($0) } && !s.isEmpty ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
