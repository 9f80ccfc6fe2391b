import Foundation
import SpikeForgeCore
import Testing

/// The JSON half of the decoding layer: every structural problem at once, with its path, what
/// the file held and what was expected; and bounded whole-file reads.
@Suite struct JSONDocumentTests {
    struct Inner: Codable, Equatable { var depth: Int; var kind: String }
    struct Outer: Codable, Equatable { var name: String; var items: [Inner]; var flag: Bool; var note: String? }
    static let exemplar = Outer(name: "a", items: [Inner(depth: 1, kind: "fast")], flag: true, note: "n")

    static func decode(_ json: String) -> Result<Outer, ShapeProblems> {
        JSONDocument.decode(Outer.self, from: Data(json.utf8), exemplar: exemplar, optional: ["note"], choices: ["kind": ["fast", "slow"]])
    }

    @Test func aValidDocumentDecodes() {
        let r = Self.decode(#"{"name": "x", "items": [{"depth": 3, "kind": "slow"}], "flag": false}"#)
        #expect(r == .success(Outer(name: "x", items: [Inner(depth: 3, kind: "slow")], flag: false, note: nil)))
    }

    /// Five faults in one document: five problems, each naming its path, got and expected.
    @Test func everyFaultIsListedWithItsPath() {
        let r = Self.decode(#"{"name": 7, "items": [{"depth": "deep", "kind": "slow"}, {"kind": "medium"}], "flag": 1, "colour": "red"}"#)
        guard case let .failure(e) = r else { Issue.record("accepted"); return }
        #expect(Set(e.problems) == [
            "colour: unknown field, expected one of flag, items, name, note",
            "flag: got 1, expected a boolean",
            "items[0].depth: got 'deep', expected a number",
            "items[1].depth: missing, expected a number",
            "items[1].kind: got 'medium', expected one of fast, slow",
            "name: got 7, expected a string",
        ], "\(e.problems)")
    }

    /// What the shape does not explain (an integer too large for `Int`) comes from the decoder,
    /// with its path.
    @Test func decoderErrorsKeepTheirPath() {
        guard case let .failure(e) = Self.decode(#"{"name": "x", "items": [{"depth": 1e300, "kind": "slow"}], "flag": true}"#) else { Issue.record("accepted"); return }
        #expect(e.problems.count == 1 && e.problems[0].hasPrefix("items[0].depth:"), "\(e.problems)")
    }

    @Test func syntaxErrorsAndHugeDocumentsAreRefused() {
        guard case let .failure(e) = Self.decode("{\"name\": ") else { Issue.record("accepted"); return }
        #expect(e.problems.count == 1 && e.problems[0].hasPrefix("not valid JSON"), "\(e.problems)")
        let huge = Data(count: JSONDocument.maxBytes + 1)
        guard case let .failure(h) = JSONDocument.decode(Outer.self, from: huge, exemplar: Self.exemplar) else { Issue.record("accepted"); return }
        #expect(h.problems == ["the file is \(JSONDocument.maxBytes + 1) bytes, expected at most \(JSONDocument.maxBytes) for a JSON document"])
    }

    @Test func differencesNameEveryChangedField() {
        var b = Self.exemplar
        b.items[0].depth = 9
        b.flag = false
        #expect(JSONDocument.differences(b, Self.exemplar, limit: 10) == ["flag: got false, expected true", "items[0].depth: got 9, expected 1"])
    }

    @Test func boundedReadsRefuseWhatIsTooLargeMissingOrNotAFile() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sf-read-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let f = dir.appendingPathComponent("f")
        try Data(count: 100).write(to: f)
        #expect(try FileRead.bounded(f, limit: 100).count == 100)
        #expect(throws: FileReadError(path: f.path, reason: "100 bytes, expected at most 99 for this kind of file")) { try FileRead.bounded(f, limit: 99) }
        #expect(throws: FileReadError(path: dir.appendingPathComponent("g").path, reason: "missing")) { try FileRead.bounded(dir.appendingPathComponent("g"), limit: 9) }
        #expect(throws: FileReadError(path: dir.path, reason: "not a regular file")) { try FileRead.bounded(dir, limit: 9) }
    }
}
