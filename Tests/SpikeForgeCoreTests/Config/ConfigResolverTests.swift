import Foundation
import SpikeForgeCore
import Testing

@Suite struct ConfigResolverTests {
    @Test func defaultsFileThenOverrides() throws {
        let f = FileManager.default.temporaryDirectory.appendingPathComponent("sf-cfg-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: f) }
        try #"{"width": 64, "depth": 100, "kind": "singlePort"}"#.write(to: f, atomically: true, encoding: .utf8)
        let c = try ConfigResolver.resolve(SRAMConfig.self, file: f.path, overrides: ["depth=512", "initFile=a.hex"])
        #expect(c == SRAMConfig(width: 64, depth: 512, kind: .singlePort, initFile: "a.hex"))
        #expect(try ConfigResolver.resolve(FIFOConfig.self) == FIFOConfig.defaultConfig)
    }

    @Test func numbersMustBeIntegers() {
        #expect(throws: ConfigError.invalid(block: "FIFOConfig", violations: [.init(field: "depth", value: "2.5", expected: "an integer (from --set)")])) {
            try ConfigResolver.resolve(FIFOConfig.self, overrides: ["depth=2.5"])
        }
    }

    @Test func validateListsEveryViolation() {
        #expect(throws: ConfigError.invalid(block: "SatAdderConfig", violations: [
            .init(field: "aWidth", value: "1", expected: "2...64"), .init(field: "outWidth", value: "65", expected: "2...64"),
        ])) { try SatAdderConfig(aWidth: 1, bWidth: 8, outWidth: 65).validate() }
        let e = ConfigError.invalid(block: "X", violations: [.init(field: "f", value: "0", expected: "1...2")])
        #expect(e.description == "invalid X (1 violation):\n  - f: got 0, expected 1...2")
    }
}
