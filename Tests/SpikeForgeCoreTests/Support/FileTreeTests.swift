import Foundation
import SpikeForgeCore
import Testing

/// `FileTree.differences` reports a changed file with unified-diff hunks.
@Suite struct FileTreeTests {
    @Test func unifiedDiffHunks() {
        let a = (1 ... 20).map { "line \($0)" }.joined(separator: "\n")
        let b = a.replacingOccurrences(of: "line 10\n", with: "line ten\n")
        let d = FileTree.differences(expected: ["x.v": Data(b.utf8)], actual: ["x.v": Data(a.utf8)], label: "r")
        #expect(d == ["stale: r/x.v", "--- r/x.v (in the tree)", "+++ r/x.v (regenerated)", "@@ -7,7 +7,7 @@",
                      " line 7", " line 8", " line 9", "-line 10", "+line ten", " line 11", " line 12", " line 13"])
    }
}
