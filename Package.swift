// swift-tools-version:6.0
// SpikeForge: a hardware co-design toolkit for ternary-spike neural networks.
//
// Targets, grouped the way swift-numerics groups its manifest. Dependencies point one way
// (`swift build --build-tests --explicit-target-dependency-import-check error` holds every
// target to the imports it declares):
//
//   SpikeForgeCore  <- CycleModels
//        ^      ^
//   HWIR <- VerilogEmitter     EDATools     Datasets (+ CZlib) <- Trainer (+ COpenBLAS, CKernels, Crypto)
//     ^         ^                 ^                                 ^
//   Generators  |                 |                                 Compiler (model -> mesh, SRAM images), NIR (+ CHDF5: NIR graphs)
//        ^      VerilatorBridge (HWIR, VerilogEmitter, Core, EDATools, CVerilatorShim, Crypto)
//        |        ^                                                 ^
//        +------- Testbench (stimuli, drivers, traffic, system host, runs, measurements) -- Generators, CycleModels, EDATools, Compiler
//                   ^
//        SpikeForgeCLI <- spikeforge   (the CLI imports every library above; spikeforge also Trainer, to pick the BLAS kernels first)
import PackageDescription

let package = Package(
    name: "SpikeForge",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "spikeforge", targets: ["spikeforge"]),
        .library(name: "SpikeForgeCore", targets: ["SpikeForgeCore"]),
        .library(name: "HWIR", targets: ["HWIR"]),
        .library(name: "VerilogEmitter", targets: ["VerilogEmitter"]),
        .library(name: "Generators", targets: ["Generators"]),
        .library(name: "CycleModels", targets: ["CycleModels"]),
        .library(name: "VerilatorBridge", targets: ["VerilatorBridge"]),
        .library(name: "Testbench", targets: ["Testbench"]),
        .library(name: "Datasets", targets: ["Datasets"]),
        .library(name: "Trainer", targets: ["Trainer"]),
        .library(name: "Compiler", targets: ["Compiler"]),
        .library(name: "NIR", targets: ["NIR"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        // MARK: Public API
        .target(name: "SpikeForgeCore", dependencies: ["CFileOps"]),
        .target(name: "HWIR"),
        .target(name: "VerilogEmitter", dependencies: ["HWIR"]),
        .target(name: "Generators", dependencies: ["HWIR", "SpikeForgeCore"]),
        .target(name: "CycleModels", dependencies: ["SpikeForgeCore"]),
        .target(name: "EDATools", dependencies: ["SpikeForgeCore"]),
        .target(name: "Datasets", dependencies: ["SpikeForgeCore", "CZlib"]),
        .target(name: "Trainer", dependencies: ["SpikeForgeCore", "Datasets", "COpenBLAS", "CKernels", .product(name: "Crypto", package: "swift-crypto")]),
        .target(name: "Compiler", dependencies: ["SpikeForgeCore", "Datasets", "Trainer"]),
        // NIR graphs (HDF5) in and out of SpikeForge's integer model.
        .target(name: "NIR", dependencies: ["SpikeForgeCore", "Datasets", "Trainer", "CHDF5"]),
        // The Verilator bridge: shim generator, build cache, loaded model, lockstep harness.
        // Nothing above the IR and the emitter, so its users link neither the trainer nor OpenBLAS.
        .target(
            name: "VerilatorBridge",
            dependencies: [
                "HWIR", "VerilogEmitter", "SpikeForgeCore", "EDATools", "CVerilatorShim",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Per-block stimuli and host drivers, traffic, the system host, simulation runs, and the
        // measurements behind the CLI's reports and benchmarks (Yosys cell counts through EDATools).
        .target(
            name: "Testbench",
            dependencies: ["VerilatorBridge", "SpikeForgeCore", "HWIR", "CycleModels", "Generators", "VerilogEmitter", "EDATools", "Datasets", "Trainer", "Compiler"]
        ),
        .target(
            name: "SpikeForgeCLI",
            dependencies: [
                "SpikeForgeCore", "HWIR", "VerilogEmitter", "Generators", "CycleModels",
                "EDATools", "VerilatorBridge", "Testbench", "Datasets", "Trainer", "Compiler", "NIR",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "spikeforge", dependencies: ["SpikeForgeCLI", "Trainer"]),
        // The decoders' fuzz harnesses (docs/ARCHITECTURE.md, "Fuzzing"): a library, so the tests
        // replay the committed corpus and every crash input through them, and one executable
        // that replays inputs in a normal build and fuzzes in a `-sanitize=fuzzer -DFUZZING` one
        // (tools/fuzz).
        .target(name: "SpikeForgeFuzz", dependencies: ["Datasets", "SpikeForgeCore", "Trainer", "Compiler", "Testbench", "NIR"]),
        .executableTarget(name: "spikeforge-fuzz", dependencies: ["SpikeForgeFuzz", "CLibFuzzer"]),

        // MARK: Implementation details
        // The C ABI between Swift and every generated Verilator shim. No stable API.
        .target(name: "CVerilatorShim"),
        // libFuzzer's driver entry, declared for spikeforge-fuzz (linked only by -sanitize=fuzzer).
        .target(name: "CLibFuzzer"),
        // zlib (Debian zlib1g-dev) for gzip datasets and FST waveforms.
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // The atomic exchange of two paths (renameat2 RENAME_EXCHANGE / renamex_np RENAME_SWAP)
        // behind AtomicOutput's directory swap. No stable API.
        .target(name: "CFileOps"),
        // The trainer's fused elementwise kernels (AVX2 with a baseline fallback).
        .target(name: "CKernels"),
        // The HDF5 C library (Debian libhdf5-dev, serial) behind NIR files, through a narrow C
        // interface whose header needs no HDF5 include path. No stable API.
        .target(name: "CHDF5", linkerSettings: [.linkedLibrary("hdf5_serial")]),
        // OpenBLAS (Debian libopenblas-dev) for the trainer's matrix products.
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),

        // MARK: Tests
        .target(
            name: "SpikeForgeTestSupport",
            dependencies: ["SpikeForgeCore", "HWIR", "VerilogEmitter", "Generators", "EDATools", "VerilatorBridge"],
            path: "Tests/SpikeForgeTestSupport"
        ),
        .testTarget(name: "SpikeForgeCoreTests", dependencies: ["SpikeForgeCore", "SpikeForgeTestSupport"]),
        .testTarget(name: "HWIRTests", dependencies: ["HWIR"]),
        .testTarget(name: "EDAToolsTests", dependencies: ["EDATools"]),
        // Golden/ holds reference .v files the tests read by path; they are not resources.
        .testTarget(name: "VerilogEmitterTests", dependencies: ["VerilogEmitter", "HWIR", "Generators", "SpikeForgeCore"], exclude: ["Golden"]),
        .testTarget(
            name: "GeneratorsTests",
            dependencies: ["Generators", "HWIR", "VerilogEmitter", "EDATools", "SpikeForgeCore", "SpikeForgeTestSupport"]
        ),
        .testTarget(name: "CycleModelsTests", dependencies: ["CycleModels", "SpikeForgeCore"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "SpikeForgeCore", "CZlib"]),
        .testTarget(name: "TrainerTests", dependencies: ["Trainer", "Datasets", "SpikeForgeCore", "CKernels"]),
        .testTarget(name: "CompilerTests", dependencies: ["Compiler", "Trainer", "Datasets", "SpikeForgeCore"]),
        // Fixtures/ holds NIR files made by the nir Python package and snnTorch, read by path.
        .testTarget(name: "NIRTests", dependencies: ["NIR", "Trainer", "Datasets", "SpikeForgeCore"], exclude: ["Fixtures"]),
        .testTarget(
            name: "VerilatorBridgeTests",
            dependencies: ["VerilatorBridge", "CycleModels", "EDATools", "Generators", "HWIR", "SpikeForgeCore", "SpikeForgeTestSupport"]
        ),
        .testTarget(
            name: "TestbenchTests",
            dependencies: [
                "Testbench", "VerilatorBridge", "Compiler", "Trainer", "Datasets", "Generators", "CycleModels", "SpikeForgeCore", "SpikeForgeTestSupport",
            ]
        ),
        .testTarget(name: "SpikeForgeFuzzTests", dependencies: ["SpikeForgeFuzz"]),
        .testTarget(
            name: "SpikeForgeCLITests",
            dependencies: [
                "SpikeForgeCLI", "SpikeForgeCore", "Testbench", "Trainer", "Datasets", "EDATools", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ]
)
