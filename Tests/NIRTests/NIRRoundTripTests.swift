import Foundation
import SpikeForgeCore
import Testing
import Trainer

@testable import NIR

/// Export then import is the identity, bit for bit; the file is what `nir.read` reads.
@Suite struct NIRRoundTripTests {
    static func temp(_ name: String) -> String { FileManager.default.temporaryDirectory.appendingPathComponent("sf-nir-\(UUID().uuidString)-\(name)").path }

    /// A seeded random model: dense (`conv` false) or conv 1 → pool → dense → dense output.
    static func model(conv: Bool, mode: NeuronMode, flush: Bool, seed: UInt64) -> IntegerModel {
        var rng = SplitMix64(seed: seed)
        func w(_ n: Int) -> [Int32] { (0 ..< n).map { _ in Int32(Int64(rng.next() % 255) - 127) } }
        func b(_ n: Int) -> [Int64] { (0 ..< n).map { _ in Int64(rng.next() % 4001) - 2000 } }
        func theta() -> Int64 { Int64(rng.next() % 300) + 1 }
        var layers: [IntegerLayer] = []
        var input = FeatureShape.vector(20)
        if conv {
            input = FeatureShape(channels: 2, height: 6, width: 6)
            let c = FeatureShape(channels: 3, height: 4, width: 4), p = FeatureShape(channels: 3, height: 2, width: 2)
            let perChannel = b(3)
            layers.append(IntegerLayer(name: "conv1", kind: .conv(kernel: 3), input: input, output: c, weights: w(3 * 2 * 9),
                                       bias: (0 ..< c.count).map { perChannel[$0 / 16] }, threshold: theta(), mode: mode, flush: flush, isOutput: false))
            layers.append(IntegerLayer(name: "pool2", kind: .pool(size: 2), input: c, output: p, weights: [], bias: [Int64](repeating: 0, count: p.count),
                                       threshold: theta() % 4 + 1, mode: mode, flush: flush, isOutput: false))
            layers.append(IntegerLayer(name: "fc3", kind: .dense, input: p, output: .vector(7), weights: w(7 * 12), bias: b(7), threshold: theta(),
                                       mode: mode, flush: flush, isOutput: false))
        } else {
            layers.append(IntegerLayer(name: "fc1", inputs: 20, outputs: 9, weights: w(180), bias: b(9), threshold: theta(), mode: mode, flush: flush, isOutput: false))
        }
        let n = layers.last!.outputs
        layers.append(IntegerLayer(name: "out", inputs: n, outputs: 4, weights: w(4 * n), bias: b(4), threshold: 77, mode: .linear, flush: false, isOutput: true))
        return IntegerModel(layers: layers, wBits: 8, inputBits: 4)
    }

    @Test(arguments: [(false, NeuronMode.reluFloor, false), (false, .relu, true), (true, .reluFloor, false), (true, .relu, true)])
    func exportThenImportIsTheIdentity(_ conv: Bool, _ mode: NeuronMode, _ flush: Bool) throws {
        let m = Self.model(conv: conv, mode: mode, flush: flush, seed: conv ? 7 : 3)
        let path = Self.temp("m.nir")
        defer { try? FileManager.default.removeItem(atPath: path) }
        try NIRExport.write(try NIRExport.graph(m), to: path)
        let back = try NIRImport.run(path: path, options: NIRImportOptions(), calibration: nil)
        #expect(back.model == m)
        #expect(back.reports.allSatisfy { $0.status == .exact }, "\(back.reports.filter { $0.status != .exact })")
        // The float network of an exported model is the integer model (reluFloor: same counts).
        if mode == .reluFloor || flush {
            var rng = SplitMix64(seed: 11)
            for _ in 0 ..< 20 {
                // Pixels at exact levels (p = 17·level), where T·p/255 equals the level.
                let image = (0 ..< m.layers[0].inputs).map { _ in UInt8(17 * (rng.next() % 16)) }
                let t = IntegerEngine(m).trace(levels: m.levels(image[...]))
                #expect(back.float.logits(image[...]) == t.logits.map(Double.init))
            }
        }
        if let json = try Self.nirRead(path) {
            let nodes = json["nodes"] as! [String: [String: Any]]
            #expect(nodes.count == (conv ? 10 : 5))
            let fc = nodes[conv ? "fc3" : "fc1"]!
            #expect(fc["type"] as? String == "Affine")
            let weights = (fc["params"] as! [String: [String: Any]])["weight"]!["values"] as! [Double]
            #expect(weights == m.layers[conv ? 2 : 0].weights.map(Double.init))
        }
    }

    @Test func aConvBiasThatVariesOverPositionsIsRefusedOnExport() throws {
        var m = Self.model(conv: true, mode: .reluFloor, flush: false, seed: 5)
        m.layers[0].bias[1] += 1
        #expect(throws: NIRError.unsupported(path: "(export)", problems: ["layer 'conv1': its bias varies over positions within a channel; NIR's Conv2d has one bias per channel"])) {
            try NIRExport.graph(m)
        }
    }

    /// `nir.read` of the file as JSON (Fixtures/check_nir.py), or nil when the `nir` package is
    /// not installed (tools/setup installs it; under CI its absence is a failure).
    static func nirRead(_ path: String) throws -> [String: Any]? {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/check_nir.py").path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", script, path]
        let out = Pipe(), err = Pipe()
        (p.standardOutput, p.standardError) = (out, err)
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        if p.terminationStatus != 0, errText.contains("No module named 'nir'") {
            if ProcessInfo.processInfo.environment["CI"] != nil { Issue.record("the nir Python package is missing under CI (tools/setup installs it)") }
            return nil
        }
        #expect(p.terminationStatus == 0, "nir.read failed on \(path): \(errText)")
        return try JSONSerialization.jsonObject(with: data) as? [String: Any]
    }
}
