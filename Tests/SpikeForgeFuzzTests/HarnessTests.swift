import Foundation
import SpikeForgeFuzz
import Testing

/// The fuzz harnesses in the normal build: every committed seed and every input that once
/// crashed a decoder (tools/fuzz-inputs/crashes/<harness>/, the regression corpus) runs through its
/// harness without a trap. A crash here is a decoder bug found by fuzzing or the mutation
/// campaign (tools/fuzz, tools/mutate) coming back.
@Suite(.serialized) struct HarnessTests {
    static let fuzzDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../tools/fuzz-inputs").standardizedFileURL

    static func inputs(_ kind: String, _ h: Harness) -> [URL] {
        let dir = fuzzDir.appendingPathComponent(kind).appendingPathComponent(h.rawValue)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { dir.appendingPathComponent($0) }
    }

    @Test(arguments: Harness.allCases) func committedCorpusReplays(_ h: Harness) throws {
        try h.prepare()
        let seeds = Self.inputs("corpus", h)
        #expect(!seeds.isEmpty, "tools/fuzz-inputs/corpus/\(h.rawValue) holds the seeds (swift run spikeforge-fuzz --write-corpus tools/fuzz-inputs/corpus)")
        for url in seeds + Self.inputs("crashes", h) { h.run(try Data(contentsOf: url)) }
    }

    /// The seeds are valid inputs (so the fuzzer starts from files the decoders accept).
    @Test(arguments: Harness.allCases) func seedsAreAccepted(_ h: Harness) throws {
        for (name, data) in try h.seeds() {
            #expect(h.accepts(data), "\(h.rawValue) seed \(name)")
        }
    }
}
