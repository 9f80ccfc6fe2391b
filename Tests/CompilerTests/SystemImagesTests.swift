import Compiler
import Foundation
import SpikeForgeCore
import Testing
import Trainer

/// Export and load of SRAM image sets: round trip, and every way a set can be wrong.
@Suite struct SystemImagesTests {
    static func exported() throws -> (SystemPlan, SystemImages, URL) {
        let m = CompilerTests.dense([16, 12, 4])
        let plan = try Compiler.compile(m, CompileOptions(cols: 2, rows: 2, policy: .spread, pe: CompilerTests.pe))
        let images = SystemImages(plan: plan, model: m)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-images-\(UUID().uuidString)")
        try images.write(to: dir, model: plan.model)
        return (plan, images, dir)
    }

    @Test func roundTripAndFormats() throws {
        let (plan, images, dir) = try Self.exported()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try SystemImages.load(from: dir, expected: plan.system, modelDigest: plan.model.digest) == images)
        // One hex line per word; the binary is ceil(width/8) bytes per word, little-endian.
        let c = plan.system.pe
        let (w, d) = c.geometry(.weights)
        let hex = try String(contentsOf: dir.appendingPathComponent("x1_y0_weights.hex"), encoding: .utf8)
        #expect(hex.split(separator: "\n").count == d)
        let bin = try Data(contentsOf: dir.appendingPathComponent("x1_y0_weights.bin"))
        #expect(bin.count == d * ((w + 7) / 8))
        let word0 = images.tiles[1].words[.weights]![0][0]
        #expect(bin.prefix(4).enumerated().allSatisfy { k, b in b == UInt8(truncatingIfNeeded: word0 >> UInt64(8 * k)) })
        let manifest = try JSONDecoder().decode(SystemImages.Manifest.self, from: Data(contentsOf: dir.appendingPathComponent("manifest.json")))
        #expect(manifest.memories.count == plan.system.tiles * c.srams.count)
        #expect(manifest.model == plan.model && manifest.system == plan.system)
    }

    @Test func corruptedImageIsRefusedByItsChecksum() throws {
        let (plan, _, dir) = try Self.exported()
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("x0_y0_bias.hex")
        var text = try String(contentsOf: f, encoding: .utf8)
        text = "1" + text.dropFirst()
        try text.write(to: f, atomically: true, encoding: .utf8)
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent("x1_y1_targets.bin"))
        #expect {
            _ = try SystemImages.load(from: dir, expected: plan.system)
        } throws: { e in
            let s = "\(e)"
            return s.contains("x0_y0_bias.hex has SHA-256") && s.contains("x1_y1_targets.bin has SHA-256") && s.contains("2 problems")
        }
    }

    @Test func imagesForOtherHardwareAreRefused() throws {
        let (plan, _, dir) = try Self.exported()
        defer { try? FileManager.default.removeItem(at: dir) }
        var other = plan.system
        other.pe.weightRows = 256
        #expect {
            _ = try SystemImages.load(from: dir, expected: other)
        } throws: { e in "\(e)".contains("the images are for \(plan.system.moduleName), but the hardware is \(other.moduleName)") }
        #expect {
            _ = try SystemImages.load(from: dir, expected: plan.system, modelDigest: String(repeating: "0", count: 64))
        } throws: { e in "\(e)".contains("the images hold model") }
    }

    @Test func imageFileNamesCannotLeaveTheDirectory() throws {
        let (plan, _, dir) = try Self.exported()
        defer { try? FileManager.default.removeItem(at: dir) }
        let mURL = dir.appendingPathComponent("manifest.json")
        let text = try String(contentsOf: mURL, encoding: .utf8).replacingOccurrences(of: "\"x0_y0_weights.hex\"", with: "\"../x0_y0_weights.hex\"")
        try text.write(to: mURL, atomically: true, encoding: .utf8)
        #expect(text.contains("../x0_y0_weights.hex"))
        #expect {
            _ = try SystemImages.load(from: dir, expected: plan.system)
        } throws: { e in "\(e)".contains("tile (0,0) weights: '../x0_y0_weights.hex' is not a plain file name") }
    }

    @Test func missingFilesAndManifestEntriesAreListed() throws {
        let (plan, _, dir) = try Self.exported()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("x1_y1_axon_map.hex"))
        #expect {
            _ = try SystemImages.load(from: dir, expected: plan.system)
        } throws: { e in "\(e)".contains("x1_y1_axon_map.hex missing") }
        #expect {
            _ = try SystemImages.load(from: dir.appendingPathComponent("nowhere"), expected: plan.system)
        } throws: { e in "\(e)".contains("manifest.json") && "\(e)".contains("missing") }
    }
}
