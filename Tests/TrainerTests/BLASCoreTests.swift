import CKernels
import Testing
@testable import Trainer

/// Choosing OpenBLAS's kernels: the decision from OpenBLAS's own choice, the CPU and the
/// environment; the re-execution itself is exercised through the binary (BenchTrainTests).
@Suite struct BLASCoreTests {
    static let none: [String: String] = [:]

    @Test func unknownXeonFallingBackToPrescottGetsAVX512Kernels() {
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 5, amd: false, bf16: false, environment: Self.none) == .force("SkylakeX"))
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 5, amd: false, bf16: true, environment: Self.none) == .force("Cooperlake"))
        #expect(BLASCore.decide(chosen: "Haswell", cpuTier: 5, amd: false, bf16: false, environment: Self.none) == .force("SkylakeX"))
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 4, amd: false, bf16: false, environment: Self.none) == .force("Haswell"))
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 4, amd: true, bf16: false, environment: Self.none) == .force("Zen"))
        #expect(BLASCore.decide(chosen: "Nehalem", cpuTier: 3, amd: false, bf16: false, environment: Self.none) == .force("Sandybridge"))
    }

    @Test func aGoodChoiceIsKept() {
        // Names compare without case, as OpenBLAS reads OPENBLAS_CORETYPE.
        for (core, tier, amd) in [("Zen", 4, true), ("Haswell", 4, false), ("ZEN", 4, true), ("SkylakeX", 5, false), ("Cooperlake", 5, false),
                                  ("SapphireRapids", 5, false), ("Excavator", 4, true), ("Sandybridge", 3, false)] {
            #expect(BLASCore.decide(chosen: core, cpuTier: tier, amd: amd, bf16: false, environment: Self.none) == .keep(.libraryChoice), "\(core)")
        }
        // Never downgraded, even when OpenBLAS claims more than cpuid shows.
        #expect(BLASCore.decide(chosen: "SkylakeX", cpuTier: 4, amd: false, bf16: false, environment: Self.none) == .keep(.libraryChoice))
        // A name this table does not know (a newer OpenBLAS's) is left alone, and so is a CPU below SSE3.
        #expect(BLASCore.decide(chosen: "Zen5", cpuTier: 5, amd: true, bf16: false, environment: Self.none) == .keep(.libraryChoice))
        #expect(BLASCore.decide(chosen: "Katmai", cpuTier: 0, amd: false, bf16: false, environment: Self.none) == .keep(.libraryChoice))
    }

    @Test func theUsersCoreTypeIsKept() {
        let env = ["OPENBLAS_CORETYPE": "Prescott"]
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 5, amd: false, bf16: false, environment: env) == .keep(.userSet("Prescott")))
        // Set but empty counts as unset: OpenBLAS would match no core with it and fall back.
        #expect(BLASCore.decide(chosen: "Prescott", cpuTier: 5, amd: false, bf16: false, environment: ["OPENBLAS_CORETYPE": ""]) == .force("SkylakeX"))
    }

    @Test func everyTargetIsACoreOfItsOwnTier() {
        for tier in 1 ... 5 {
            for amd in [false, true] {
                for bf16 in [false, true] {
                    let core = BLASCore.bestCore(tier: tier, amd: amd, bf16: bf16)!
                    #expect(BLASCore.tier(ofCore: core) == tier, "\(core)")
                }
            }
        }
        #expect(BLASCore.bestCore(tier: 0, amd: false, bf16: false) == nil)
    }

    @Test func thisProcessReportsItsCore() {
        let core = BLASInfo.core
        #expect(!core.isEmpty && core != "unknown")
        #expect(BLASInfo.coreReport.contains("OpenBLAS core \(core)"))
        #expect((0 ... 5).contains(sf_cpu_simd_tier()))
        // The kernels' own dispatch agrees with the detection.
        #expect((sf_kernels_avx2() != 0) == (sf_cpu_simd_tier() >= 4))
    }
}
