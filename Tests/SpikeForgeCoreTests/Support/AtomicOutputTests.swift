import Foundation
@testable import SpikeForgeCore
import Testing

@Suite struct AtomicOutputTests {
    static func tempRoot(_ tag: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("sf-atomic-\(tag)-\(UUID().uuidString)")
    }

    static func text(_ url: URL) -> String? { try? String(contentsOf: url, encoding: .utf8) }

    /// Every file, relative path -> text, hidden ones included.
    static func tree(_ dir: URL) -> [String: String] {
        var out: [String: String] = [:]
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [:] }
        while let rel = e.nextObject() as? String {
            if Staging.kind(of: dir.appendingPathComponent(rel).path) == .other { out[rel] = text(dir.appendingPathComponent(rel)) }
        }
        return out
    }

    /// A process id no process has (above every Linux `pid_max`).
    static let deadPID: Int32 = 2_000_000_000

    @Test func writesAllFilesAndNoStaging() throws {
        let root = Self.tempRoot("merge")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("out")
        try AtomicOutput.write(files: [("a.txt", Data("A".utf8)), ("sub/b.txt", Data("B".utf8))], to: out)
        #expect(Self.text(out.appendingPathComponent("sub/b.txt")) == "B")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["out"])
        // Overwrite keeps other files and replaces the named ones.
        try AtomicOutput.write(files: [("a.txt", Data("A2".utf8))], to: out)
        #expect(Self.text(out.appendingPathComponent("a.txt")) == "A2")
        #expect(Self.text(out.appendingPathComponent("sub/b.txt")) == "B")
    }

    @Test func singleFileReplaceLeavesNoTemporary() throws {
        let root = Self.tempRoot("one")
        defer { try? FileManager.default.removeItem(at: root) }
        let f = root.appendingPathComponent("x.bin")
        try AtomicOutput.write(Data([1, 2, 3]), to: f)
        try AtomicOutput.write(Data([4]), to: f)
        #expect(try Data(contentsOf: f) == Data([4]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["x.bin"])
        #expect(throws: OutputError.self) { try AtomicOutput.write(Data([1]), to: f.appendingPathComponent("under-a-file")) }
    }

    /// The new directory replaces the old one wholly: files the new output lacks are gone, in
    /// subdirectories too, and nothing is left next to it. Both swaps: exchange and fallback.
    @Test(arguments: [true, false]) func replaceLeavesNoStaleFiles(exchange: Bool) throws {
        let root = Self.tempRoot("replace")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("model")
        let old: [(name: String, contents: Data)] = [("manifest.json", Data("1".utf8)), ("a.npy", Data("a".utf8)), ("sub/old.hex", Data("o".utf8))]
        try AtomicOutput.replaceDirectory(at: out, with: old, kind: .model, exchange: exchange)
        #expect(Self.tree(out) == ["manifest.json": "1", "a.npy": "a", "sub/old.hex": "o"])
        try AtomicOutput.replaceDirectory(at: out, with: [("manifest.json", Data("2".utf8)), ("sub/new.hex", Data("n".utf8))], kind: .model, exchange: exchange)
        #expect(Self.tree(out) == ["manifest.json": "2", "sub/new.hex": "n"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["model"])
    }

    /// A write that fails part-way (here: a later file cannot be created) leaves the old output
    /// as it was and nothing next to it.
    @Test func failedWriteLeavesTheOldOutputWhole() throws {
        let root = Self.tempRoot("fail")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("design")
        try AtomicOutput.replaceDirectory(at: out, with: [("system.json", Data("old".utf8)), ("images/a.hex", Data("a".utf8))], kind: .design)
        let broken: [(name: String, contents: Data)] = [("system.json", Data("new".utf8)), ("images", Data("x".utf8)), ("images/b.hex", Data("b".utf8))]
        #expect(throws: OutputError.self) { try AtomicOutput.replaceDirectory(at: out, with: broken, kind: .design) }
        #expect(Self.tree(out) == ["system.json": "old", "images/a.hex": "a"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["design"])
        // Removal is one rename, then the delete.
        try AtomicOutput.removeDirectory(at: out)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == [])
    }

    @Test func refusesToReplaceWhatIsNotAnOutput() throws {
        let root = Self.tempRoot("refuse")
        defer { try? FileManager.default.removeItem(at: root) }
        let home = root.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try Data("precious".utf8).write(to: home.appendingPathComponent("notes.txt"))
        let files: [(name: String, contents: Data)] = [("manifest.json", Data("m".utf8))]
        #expect(throws: OutputError.notOutput(path: home.path, kind: "model directory", marker: "manifest.json")) {
            try AtomicOutput.replaceDirectory(at: home, with: files, kind: .model)
        }
        #expect(OutputError.notOutput(path: "/h", kind: "model directory", marker: "manifest.json").description
            == "refusing to replace '/h': it is a non-empty directory without manifest.json, so not a SpikeForge model directory; choose a new or empty directory, or remove it yourself")
        #expect(Self.tree(home) == ["notes.txt": "precious"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["home"])
        // An empty directory is fine.
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        try AtomicOutput.replaceDirectory(at: empty, with: files, kind: .model)
        #expect(Self.tree(empty) == ["manifest.json": "m"])
    }

    @Test func errorsSayWhatIsInTheWay() throws {
        let root = Self.tempRoot("errors")
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("afile")
        try Data("x".utf8).write(to: file)
        let files: [(name: String, contents: Data)] = [("files.f", Data())]
        #expect(throws: OutputError.notADirectory(path: file.path)) { try AtomicOutput.replaceDirectory(at: file, with: files, kind: .rtl) }
        #expect(OutputError.notADirectory(path: "/x").description == "'/x' exists and is a file, expected a directory or nothing")
        let under = file.appendingPathComponent("a/b")
        #expect(throws: OutputError.cannotCreate(path: file.appendingPathComponent("a").path, parent: file.path, reason: "is a file, not a directory")) {
            try AtomicOutput.replaceDirectory(at: under, with: files, kind: .rtl)
        }
        #expect(Self.text(file) == "x")
    }

    #if os(Linux)
    /// `/proc` exists but takes no new entries: the message says so, with the system's text,
    /// instead of "doesn't exist".
    @Test func procIsNamedAsTheParentThatRefuses() {
        do {
            try AtomicOutput.replaceDirectory(at: URL(fileURLWithPath: "/proc/x"), with: [("files.f", Data())], kind: .rtl)
            Issue.record("writing /proc/x succeeded")
        } catch {
            #expect(error.description.hasPrefix("cannot create '/proc/x': the parent '/proc' "), "\(error)")
            #expect(!error.description.contains("doesn't exist"))
        }
    }
    #endif

    /// What a killed run leaves (hidden siblings) is removed by the next write; an old tree a
    /// killed fallback swap renamed aside comes back when nothing is under the name.
    @Test func leftoversOfKilledRunsAreCleanedOrRestored() throws {
        let root = Self.tempRoot("leftovers")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("design")
        let stage = root.appendingPathComponent(".design.sf-new-\(Self.deadPID)-abc")
        let aside = root.appendingPathComponent(".design.sf-old-\(Self.deadPID)-def")
        for d in [stage, aside] { try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true) }
        try Data("half".utf8).write(to: stage.appendingPathComponent("system.json"))
        try Data("old".utf8).write(to: aside.appendingPathComponent("system.json"))
        #expect(AtomicOutput.leftovers(of: out).count == 2)
        Staging.cleanUp(out)
        #expect(Self.tree(out) == ["system.json": "old"])
        #expect(AtomicOutput.leftovers(of: out).isEmpty)
        // A live process's staging is left alone.
        let live = root.appendingPathComponent(".design.sf-new-\(getpid())-1")
        try FileManager.default.createDirectory(at: live, withIntermediateDirectories: true)
        Staging.cleanUp(out)
        #expect(AtomicOutput.leftovers(of: out) == [live.lastPathComponent])
    }
}
