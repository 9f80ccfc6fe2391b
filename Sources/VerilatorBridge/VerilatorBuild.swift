import Crypto
import EDATools
import Foundation
import HWIR
import SpikeForgeCore
import VerilogEmitter

#if canImport(Glibc)
import Glibc
#endif

/// Options that change the built library, and so are part of the cache key.
public struct BuildOptions: Hashable, Sendable {
    /// Build with `--trace-fst`, so `VerilatedModel.trace(to:)` can write FST waveforms.
    public var trace: Bool = false
    /// `-G` overrides of top-level parameters, e.g. `["INIT_FILE": "\"/path/img.hex\""]`.
    public var parameters: [String: String] = [:]
    /// Verilator's `--threads N` (1: single-threaded, the default); the model's context gets
    /// exactly this many threads.
    public var threads: Int = 1

    public init(trace: Bool = false, parameters: [String: String] = [:], threads: Int = 1) {
        self.trace = trace
        self.parameters = parameters
        self.threads = max(1, threads)
    }
}

/// The result of `VerilatorBuild.build`: a shared library ready to `dlopen`.
public struct BuiltModel: Sendable {
    public var library: URL
    public var top: Module
    public var key: String
    /// True when the library came from the cache.
    public var cached: Bool
    /// Wall time of this call, including any Verilator and compiler runs.
    public var seconds: Double
}

/// Builds Verilated shared libraries for generated designs, cached by content.
///
/// The key is a SHA-256 over the Verilog files, the shim source, the flags, the Verilator
/// version and the shim and SpikeForge versions. An entry is built in a temporary directory and
/// renamed into place; an exclusive `flock` per key makes parallel tests safe. The Verilator
/// runtime (`verilated.cpp` and friends) is compiled once per toolchain into an archive that
/// every design links, so a small design rebuilds in seconds.
public struct VerilatorBuild: Sendable {
    public let root: URL
    public let verilator: Tool
    public let verilatorVersion: String

    /// Optimization for the model's C++ (Verilator's own default is -Os).
    static let makeFlags = "OPT_FAST=-O2 OPT_SLOW=-O1 OPT_GLOBAL=-O2"
    static let cxxFlags = "-fPIC -fvisibility=hidden -fvisibility-inlines-hidden"
    static let verilateFlags = ["--x-assign", "0", "--x-initial", "0", "-O3"]

    /// The cache under `$SPIKEFORGE_CACHE`, else `$XDG_CACHE_HOME/spikeforge`, else
    /// `~/.cache/spikeforge`.
    public static func defaultRoot(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let c = environment["SPIKEFORGE_CACHE"], !c.isEmpty { return URL(fileURLWithPath: c) }
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ((environment["HOME"] ?? NSTemporaryDirectory()) + "/.cache")
        return URL(fileURLWithPath: base).appendingPathComponent("spikeforge")
    }

    public init(root: URL = VerilatorBuild.defaultRoot()) throws(ToolError) {
        self.root = root.appendingPathComponent("verilator")
        verilator = try Tool.verilator()
        verilatorVersion = try verilator.version()
    }

    /// Emits `design`, generates the shim and builds (or finds) the library.
    public func build(_ design: Design, options: BuildOptions = .init()) throws -> BuiltModel {
        let start = DispatchTime.now()
        guard let top = design.topModule else { throw IRValidationError(errors: [.missingTop(top: design.top)]) }
        let files = try VerilogEmitter.emit(design, version: SpikeForgeVersion.string).filter { $0.name.hasSuffix(".v") }
        let prefix = "V\(top.name)"
        let shim = ShimGenerator.source(top: top, prefix: prefix, trace: options.trace, threads: options.threads)
        var flags = Self.verilateFlags + ["--top-module", top.name, "--prefix", prefix]
        if options.trace { flags.append("--trace-fst") }
        if options.threads > 1 { flags += ["--threads", "\(options.threads)"] }
        for (k, v) in options.parameters.sorted(by: { $0.key < $1.key }) { flags.append("-G\(k)=\(v)") }

        var h = SHA256()
        func feed(_ s: String) {
            h.update(data: Data(s.utf8))
            h.update(data: Data([0]))
        }
        feed("spikeforge \(SpikeForgeVersion.string) shim \(ShimGenerator.version) abi \(ShimGenerator.abiVersion)")
        feed(verilatorVersion)
        feed(flags.joined(separator: " "))
        feed(Self.makeFlags + Self.cxxFlags)
        feed(shim)
        for f in files {
            feed(f.name)
            feed(f.contents)
        }
        let key = h.finalize().map { String(format: "%02x", $0) }.joined()
        let models = root.appendingPathComponent("models")
        let entry = models.appendingPathComponent(key)
        let lib = entry.appendingPathComponent("libsfmodel.so")
        try FileManager.default.createDirectory(at: models, withIntermediateDirectories: true)

        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
        if FileManager.default.fileExists(atPath: lib.path) {
            return BuiltModel(library: lib, top: top, key: key, cached: true, seconds: elapsed())
        }
        return try Self.withLock(models.appendingPathComponent("\(key).lock")) {
            if FileManager.default.fileExists(atPath: lib.path) {
                return BuiltModel(library: lib, top: top, key: key, cached: true, seconds: elapsed())
            }
            let runtime = try runtimeArchive(trace: options.trace)
            let stage = models.appendingPathComponent(".tmp-\(key)-\(getpid())")
            try? FileManager.default.removeItem(at: stage)
            try FileManager.default.createDirectory(at: stage, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: stage) }
            var vfiles: [String] = []
            for f in files {
                let u = stage.appendingPathComponent(f.name)
                try f.contents.write(to: u, atomically: false, encoding: .utf8)
                vfiles.append(u.path)
            }
            let shimURL = stage.appendingPathComponent("sf_shim_\(top.name).cpp")
            try shim.write(to: shimURL, atomically: false, encoding: .utf8)
            let args = ["--cc", "--exe", "--build", "-j", "2", "--Mdir", stage.appendingPathComponent("obj").path, "-o", "libsfmodel.so",
                        "-CFLAGS", Self.cxxFlags,
                        "-LDFLAGS", "-shared -Wl,--exclude-libs,ALL -Wl,-Bsymbolic \(runtime.path)\(options.trace ? " -lz" : "")",
                        "-MAKEFLAGS", Self.makeFlags + " VK_GLOBAL_OBJS="] + flags + vfiles + [shimURL.path]
            try verilator.check(args, in: stage)
            // Rename the finished library into its cache entry in one step.
            let done = models.appendingPathComponent(".done-\(key)-\(getpid())")
            try? FileManager.default.removeItem(at: done)
            try FileManager.default.createDirectory(at: done, withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: stage.appendingPathComponent("obj/libsfmodel.so"), to: done.appendingPathComponent("libsfmodel.so"))
            for f in files { try? f.contents.write(to: done.appendingPathComponent(f.name), atomically: false, encoding: .utf8) }
            try? shim.write(to: done.appendingPathComponent(shimURL.lastPathComponent), atomically: false, encoding: .utf8)
            try? FileManager.default.removeItem(at: entry)
            if rename(done.path, entry.path) != 0 {
                throw OutputError.notWritable(path: entry.path, reason: String(cString: strerror(errno)))
            }
            return BuiltModel(library: lib, top: top, key: key, cached: false, seconds: elapsed())
        }
    }

    /// The Verilator runtime compiled once per (Verilator version, flags, tracing), built by
    /// Verilator itself on a trivial design so that it uses exactly Verilator's own flags.
    func runtimeArchive(trace: Bool) throws -> URL {
        var h = SHA256()
        h.update(data: Data("\(verilatorVersion)|\(Self.makeFlags)|\(Self.cxxFlags)|\(Self.verilateFlags)|trace=\(trace)".utf8))
        let key = h.finalize().prefix(12).map { String(format: "%02x", $0) }.joined()
        let dir = root.appendingPathComponent("runtime-\(key)")
        let archive = dir.appendingPathComponent("libverilated_rt.a")
        if FileManager.default.fileExists(atPath: archive.path) { return archive }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        return try Self.withLock(root.appendingPathComponent("runtime-\(key).lock")) {
            if FileManager.default.fileExists(atPath: archive.path) { return archive }
            let stage = root.appendingPathComponent(".tmp-runtime-\(key)-\(getpid())")
            try? FileManager.default.removeItem(at: stage)
            try FileManager.default.createDirectory(at: stage, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: stage) }
            let v = stage.appendingPathComponent("sf_runtime_probe.v")
            try "module sf_runtime_probe(input wire clk, output reg q);\n  initial q = 1'b0;\n  always @(posedge clk) q <= ~q;\nendmodule\n".write(to: v, atomically: false, encoding: .utf8)
            var args = ["--cc", "--build", "-j", "2", "--Mdir", stage.appendingPathComponent("obj").path, "-CFLAGS", Self.cxxFlags, "-MAKEFLAGS", Self.makeFlags] + Self.verilateFlags
            if trace { args.append("--trace-fst") }
            try verilator.check(args + [v.path], in: stage)
            // --build without --exe builds only the model; build the runtime objects explicitly.
            let obj = stage.appendingPathComponent("obj")
            let make = try Tool.locate("make", envVar: "MAKE", install: "apt-get install make")
            let objs = try runtimeObjects(obj: obj, make: make)
            let ar = try Tool.locate("ar", envVar: "AR", install: "apt-get install binutils")
            let tmpArchive = stage.appendingPathComponent("libverilated_rt.a")
            try ar.check(["rcs", tmpArchive.path] + objs.map(\.path))
            let done = root.appendingPathComponent(".done-runtime-\(key)-\(getpid())")
            try? FileManager.default.removeItem(at: done)
            try FileManager.default.createDirectory(at: done, withIntermediateDirectories: true)
            try FileManager.default.moveItem(at: tmpArchive, to: done.appendingPathComponent("libverilated_rt.a"))
            try? FileManager.default.removeItem(at: dir)
            if rename(done.path, dir.path) != 0 {
                throw OutputError.notWritable(path: dir.path, reason: String(cString: strerror(errno)))
            }
            return archive
        }
    }

    private func runtimeObjects(obj: URL, make: Tool) throws -> [URL] {
        // Ask Verilator's makefile which runtime objects this configuration needs, and build them.
        let text = try make.check(["-s", "-C", obj.path, "-f", "Vsf_runtime_probe.mk", "debug-make"])
        var names: [String] = []
        for line in text.split(separator: "\n") {
            for key in ["VM_GLOBAL_FAST:", "VM_GLOBAL_SLOW:"] where line.hasPrefix(key) {
                names += line.dropFirst(key.count).split(separator: " ").map { "\($0).o" }
            }
        }
        if names.isEmpty { names = ["verilated.o", "verilated_threads.o"] }
        let opts = Self.makeFlags.split(separator: " ").map(String.init)
        try make.check(["-s", "-j", "2", "-C", obj.path, "-f", "Vsf_runtime_probe.mk"] + opts + names)
        return names.map { obj.appendingPathComponent($0) }
    }

    /// Runs `body` holding an exclusive `flock` on `lockFile`.
    static func withLock<T>(_ lockFile: URL, _ body: () throws -> T) throws -> T {
        let fd = open(lockFile.path, O_CREAT | O_RDWR, 0o644)
        guard fd >= 0 else { throw OutputError.notWritable(path: lockFile.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
