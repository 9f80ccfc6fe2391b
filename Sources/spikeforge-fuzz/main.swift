// spikeforge-fuzz: the decoders' fuzz harnesses (Sources/SpikeForgeFuzz) behind one executable.
//
//   spikeforge-fuzz HARNESS [FILE|DIR ...]          replay inputs through HARNESS (any build)
//   spikeforge-fuzz --write-corpus DIR              write every harness's seed inputs to DIR/<harness>/
//   SPIKEFORGE_FUZZ=HARNESS spikeforge-fuzz [libFuzzer flags] [CORPUS ...]
//                                                   fuzz (a build with -sanitize=fuzzer -DFUZZING;
//                                                   `spikeforge-fuzz HARNESS ...` works too)
//
// tools/fuzz builds it for fuzzing and runs it; docs/ARCHITECTURE.md ("Fuzzing") has the layout.
import Foundation
import SpikeForgeFuzz
#if FUZZING
import CLibFuzzer
#endif

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("spikeforge-fuzz: \(message)\n".utf8))
    exit(64)
}

let names = Harness.allCases.map(\.rawValue).joined(separator: ", ")
var args = CommandLine.arguments
if args.count >= 3, args[1] == "--write-corpus" {
    do {
        for h in Harness.allCases {
            let dir = URL(fileURLWithPath: args[2]).appendingPathComponent(h.rawValue)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            for (name, data) in try h.seeds() { try data.write(to: dir.appendingPathComponent(name)) }
        }
    } catch { fail("cannot write the corpus: \(error)") }
    exit(0)
}
// The harness: SPIKEFORGE_FUZZ, or the first argument (then exported, so that libFuzzer's
// own re-executions (-fork, -merge) run the same harness).
if args.count >= 2, Harness(rawValue: args[1]) != nil {
    setenv("SPIKEFORGE_FUZZ", args[1], 1)
    args.remove(at: 1)
}
guard let name = ProcessInfo.processInfo.environment["SPIKEFORGE_FUZZ"] else {
    fail("usage: spikeforge-fuzz HARNESS [FILE|DIR ...] | spikeforge-fuzz --write-corpus DIR; harnesses: \(names)")
}
guard let harness = Harness(rawValue: name) else { fail("no harness '\(name)'; expected one of \(names)") }
do { try harness.prepare() } catch { fail("\(error)") }

#if FUZZING
/// libFuzzer's archive still pulls in its own `main`, which names this symbol; the run itself
/// goes through LLVMFuzzerRunDriver below with the same callback.
@_cdecl("LLVMFuzzerTestOneInput") func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzEntry.testOneInput(data, size)
}

FuzzEntry.harness = harness
var cArgs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
var argc = Int32(args.count)
let status = cArgs.withUnsafeMutableBufferPointer { buf -> Int32 in
    var argv = buf.baseAddress
    return LLVMFuzzerRunDriver(&argc, &argv) { data, size in FuzzEntry.testOneInput(data, size) }
}
exit(status)
#else
// Replay: every file named, and every file in every directory named.
var files: [URL] = []
for a in args.dropFirst() {
    let url = URL(fileURLWithPath: a)
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: a, isDirectory: &isDir) else { fail("'\(a)' does not exist") }
    if isDir.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: a)) ?? []
        files += names.sorted().map { url.appendingPathComponent($0) }
    } else {
        files.append(url)
    }
}
for f in files {
    guard let d = FileManager.default.contents(atPath: f.path) else { continue }
    harness.run(d)
}
print("spikeforge-fuzz \(harness.rawValue): \(files.count) input(s) replayed, no crash")
#endif
