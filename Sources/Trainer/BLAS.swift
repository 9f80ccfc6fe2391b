import CKernels
import COpenBLAS
import Foundation

/// Row-major single-precision GEMM through OpenBLAS (Debian libopenblas-dev):
/// `C ← A·B` or `C ← A·B + C` with optional transposes.
enum BLAS {
    /// Sets OpenBLAS's thread count (0 keeps its default: every core).
    static func setThreads(_ n: Int) {
        if n > 0 { openblas_set_num_threads(Int32(n)) }
    }

    /// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] (+ C if accumulate)`, all row-major, with
    /// leading dimensions defaulting to packed storage (pass them to work on column blocks).
    static func gemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int, alpha: Float = 1,
                     a: UnsafePointer<Float>, lda: Int? = nil, b: UnsafePointer<Float>, ldb: Int? = nil,
                     c: UnsafeMutablePointer<Float>, ldc: Int? = nil, accumulate: Bool = false) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda ?? (transA ? m : k)), b, Int32(ldb ?? (transB ? k : n)),
                    accumulate ? 1 : 0, c, Int32(ldc ?? n))
    }
}

/// What the trainer's kernels run on, for benchmark reports.
public enum BLASInfo {
    public static var version: String {
        guard let c = openblas_get_config() else { return "unknown" }
        return String(cString: c)
    }

    /// OpenBLAS's kernel set in use (`openblas_get_corename()`): "Haswell", "SkylakeX", "Zen", ...
    public static var core: String {
        guard let c = openblas_get_corename() else { return "unknown" }
        return String(cString: c)
    }

    public static var kernels: String { sf_kernels_avx2() != 0 ? "AVX2" : "baseline x86-64" }

    /// The core in use, how it was chosen and what the CPU has, on one line.
    public static var coreReport: String { BLASCore.report(core: core, selection: BLASCore.selection) }
}

/// Running OpenBLAS's best kernels for this CPU, whatever its own detection guesses.
///
/// A DYNAMIC_ARCH OpenBLAS picks its kernels in its library constructor, before `main`, from the
/// CPU model it knows. Debian's 0.3.21 does not know newer Xeons and falls back to its SSE3
/// kernels ("Prescott"), while `OPENBLAS_CORETYPE` makes it use any kernel set it was built with.
/// `selectBestKernels` (first thing in `spikeforge`'s main) compares the core OpenBLAS chose with
/// what cpuid and xgetbv say the CPU and the OS run; when the chosen core is of a lower tier and
/// the user did not set `OPENBLAS_CORETYPE`, it re-executes the same binary, with the same
/// arguments, descriptors, signal mask and process id, with `OPENBLAS_CORETYPE` set to the best
/// core. The new process removes that variable and the marker again, so the programs it starts
/// (the NumPy and PyTorch references) see the user's environment. See docs/TRAINING.md, "Speed".
public enum BLASCore {
    /// How the core in use came to be.
    public enum Selection: Equatable, Sendable {
        /// OpenBLAS's own choice, as good as the CPU allows (or not comparable).
        case libraryChoice
        /// `OPENBLAS_CORETYPE` was set by the user (or the machine); it is kept.
        case userSet(String)
        /// OpenBLAS chose `chosen`; the process was re-executed with `OPENBLAS_CORETYPE=requested`.
        case forced(chosen: String, requested: String)
        /// A re-execution was needed but did not happen (no /proc/self/exe, exec failed).
        case reexecFailed(chosen: String, wanted: String, why: String)
    }

    /// What `decide` says to do.
    public enum Decision: Equatable, Sendable {
        case keep(Selection)
        case force(String)
    }

    /// The environment variables involved.
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    /// Set (to OpenBLAS's own choice) across the re-execution; its presence stops a second one.
    public static let markerVariable = "SPIKEFORGE_OPENBLAS_REEXEC"
    /// For tests on machines that OpenBLAS knows: take this as OpenBLAS's choice instead of the
    /// real one (the re-execution then happens as it would on an unknown CPU).
    public static let pretendVariable = "SPIKEFORGE_OPENBLAS_PRETEND_CORE"

    /// OpenBLAS's x86-64 core names by the SIMD tier of their kernels (as `sf_cpu_simd_tier`).
    static let coreTiers: [String: Int] = {
        var t: [String: Int] = [:]
        for n in ["unknown", "katmai", "coppermine", "northwood", "banias", "athlon"] { t[n] = 0 }
        for n in ["prescott", "opteron", "opteron_sse3"] { t[n] = 1 }
        for n in ["core2", "penryn", "dunnington", "nehalem", "atom", "nano", "barcelona", "bobcat"] { t[n] = 2 }
        for n in ["sandybridge", "bulldozer", "piledriver", "steamroller"] { t[n] = 3 }
        for n in ["haswell", "zen", "excavator"] { t[n] = 4 }
        for n in ["skylakex", "cooperlake", "sapphirerapids"] { t[n] = 5 }
        return t
    }()

    /// The tier of an OpenBLAS core name, nil for names this table does not know (a newer
    /// OpenBLAS's; they are left alone).
    public static func tier(ofCore name: String) -> Int? { coreTiers[name.lowercased()] }

    /// The CPU's best OpenBLAS core: AVX-512 F+BW+VL+DQ+CD → SkylakeX (Cooperlake with BF16),
    /// AVX2+FMA → Haswell (Zen on AMD and Hygon), AVX → Sandybridge, SSE4.2 → Nehalem,
    /// SSE3 → Prescott. Nil below SSE3.
    public static func bestCore(tier: Int, amd: Bool, bf16: Bool) -> String? {
        switch tier {
        case 5...: return bf16 ? "Cooperlake" : "SkylakeX"
        case 4: return amd ? "Zen" : "Haswell"
        case 3: return "Sandybridge"
        case 2: return "Nehalem"
        case 1: return "Prescott"
        default: return nil
        }
    }

    /// The CPU's SIMD extensions in words, for reports.
    public static func describe(tier: Int) -> String {
        ["no SSE3", "SSE3", "SSE4.2", "AVX", "AVX2+FMA", "AVX-512"][max(0, min(5, tier))]
    }

    /// What to do, from OpenBLAS's choice, the CPU and the environment. Pure, for tests.
    public static func decide(chosen: String, cpuTier: Int, amd: Bool, bf16: Bool, environment: [String: String]) -> Decision {
        if let u = environment[coreTypeVariable], !u.isEmpty { return .keep(.userSet(u)) }
        guard let have = tier(ofCore: chosen), let want = bestCore(tier: cpuTier, amd: amd, bf16: bf16),
              let wantTier = tier(ofCore: want), wantTier > have else { return .keep(.libraryChoice) }
        return .force(want)
    }

    /// How the core in use was chosen in this process (set by `selectBestKernels`).
    nonisolated(unsafe) public private(set) static var selection: Selection = .libraryChoice

    /// Makes this process run OpenBLAS's best kernels for the CPU: re-executes it when needed
    /// (and then does not return). Call it first thing in `main`, before any thread starts and
    /// before anything is read from standard input. Safe to call when nothing needs doing, and
    /// in the re-executed process (it only records what happened there).
    public static func selectBestKernels() {
        let env = ProcessInfo.processInfo.environment
        if let chosen = env[markerVariable] {
            // The re-executed process: OpenBLAS's constructor has run with our OPENBLAS_CORETYPE;
            // the programs this process starts get the user's environment back.
            let requested = env[coreTypeVariable] ?? "?"
            unsetenv(markerVariable)
            unsetenv(coreTypeVariable)
            unsetenv(pretendVariable)
            selection = .forced(chosen: chosen, requested: requested)
            return
        }
        let pretend = env[pretendVariable].flatMap { $0.isEmpty ? nil : $0 }
        let chosen = pretend ?? BLASInfo.core
        switch decide(chosen: chosen, cpuTier: Int(sf_cpu_simd_tier()), amd: sf_cpu_is_amd() != 0, bf16: sf_cpu_avx512_bf16() != 0, environment: env) {
        case let .keep(s):
            selection = s
        case let .force(core):
            let exe = "/proc/self/exe"
            guard access(exe, X_OK) == 0 else {
                selection = .reexecFailed(chosen: chosen, wanted: core, why: "\(exe) is not available")
                return
            }
            setenv(coreTypeVariable, core, 1)
            setenv(markerVariable, chosen, 1)
            execv(exe, CommandLine.unsafeArgv)
            // Only reached when exec failed: undo, and go on with the kernels there are.
            let why = String(cString: strerror(errno))
            unsetenv(coreTypeVariable)
            unsetenv(markerVariable)
            selection = .reexecFailed(chosen: chosen, wanted: core, why: "exec failed: \(why)")
        }
    }

    /// One line for reports: the core, how it was chosen, and what the CPU has.
    public static func report(core: String, selection: Selection) -> String {
        let cpu = "the CPU has \(describe(tier: Int(sf_cpu_simd_tier())))"
        switch selection {
        case .libraryChoice:
            return "OpenBLAS core \(core) (OpenBLAS's own choice; \(cpu))"
        case let .userSet(v):
            return "OpenBLAS core \(core) (\(coreTypeVariable)=\(v) from the environment, kept; \(cpu))"
        case let .forced(chosen, requested):
            let took = core.lowercased() == requested.lowercased() ? "" : ", which this OpenBLAS did not take"
            return "OpenBLAS core \(core) (OpenBLAS chose \(chosen); re-executed with \(coreTypeVariable)=\(requested)\(took), since \(cpu))"
        case let .reexecFailed(chosen, wanted, why):
            return "OpenBLAS core \(core) (OpenBLAS chose \(chosen), \(wanted) would be better, but re-executing failed: \(why))"
        }
    }
}
