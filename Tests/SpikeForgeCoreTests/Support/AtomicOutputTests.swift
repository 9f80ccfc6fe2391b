import Foundation
import SpikeForgeCore
import Testing

@Suite struct AtomicOutputTests {
    @Test func writesAllFilesAndNoStaging() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-atomic-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try AtomicOutput.write(files: [("a.txt", Data("A".utf8)), ("sub/b.txt", Data("B".utf8))], to: out)
        #expect(try String(contentsOf: out.appendingPathComponent("sub/b.txt"), encoding: .utf8) == "B")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
        // Overwrite keeps other files and replaces the named ones.
        try AtomicOutput.write(files: [("a.txt", Data("A2".utf8))], to: out)
        #expect(try String(contentsOf: out.appendingPathComponent("a.txt"), encoding: .utf8) == "A2")
    }

    @Test func singleFileReplaceLeavesNoTemporary() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sf-atomic1-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let f = root.appendingPathComponent("x.bin")
        try AtomicOutput.write(Data([1, 2, 3]), to: f)
        try AtomicOutput.write(Data([4]), to: f)
        #expect(try Data(contentsOf: f) == Data([4]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["x.bin"])
        #expect(throws: OutputError.self) { try AtomicOutput.write(Data([1]), to: f.appendingPathComponent("under-a-file")) }
    }
}
