import Foundation

/// A directory tree as data: relative path -> contents. Read from disk, written atomically, and
/// compared with a unified diff of every file that differs.
public enum FileTree {
    /// Every regular file under `root`, relative path -> contents; hidden files are skipped.
    public static func read(_ root: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        let base = root.standardizedFileURL.path
        guard let e = FileManager.default.enumerator(atPath: base) else { return [:] }
        while let rel = e.nextObject() as? String {
            if rel.split(separator: "/").contains(where: { $0.hasPrefix(".") }) { continue }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: base + "/" + rel, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = try Data(contentsOf: URL(fileURLWithPath: base + "/" + rel))
            }
        }
        return out
    }

    /// What differs between the expected tree and the files found, as a unified-style diff
    /// (paths relative to the tree, prefixed with `label`); empty when they match.
    public static func differences(expected: [String: Data], actual: [String: Data], label: String) -> [String] {
        var out: [String] = []
        for path in Set(expected.keys).union(actual.keys).sorted() {
            let p = "\(label)/\(path)"
            switch (actual[path], expected[path]) {
            case let (nil, new?):
                out.append("missing: \(p) (\(Self.lines(new).count) lines)")
            case let (old?, nil):
                out.append("extra: \(p) (\(Self.lines(old).count) lines; nothing generates it)")
            case let (old?, new?) where old != new:
                out.append("stale: \(p)")
                out += ["--- \(p) (in the tree)", "+++ \(p) (regenerated)"] + TextDiff.unified(Self.lines(old), Self.lines(new))
            default: break
            }
        }
        return out
    }

    /// Writes the tree under `root`: every file staged, then renamed into place
    /// (`AtomicOutput`); then the files in the tree's own folders that nothing generates any
    /// more (a renamed module, say) are removed. Returns the removed paths.
    @discardableResult
    public static func write(_ tree: [String: Data], to root: URL) throws -> [String] {
        try AtomicOutput.write(files: tree.keys.sorted().map { ($0, tree[$0]!) }, to: root)
        let owned = Set(tree.keys.compactMap { $0.split(separator: "/").count > 1 ? String($0.split(separator: "/")[0]) : nil })
        var removed: [String] = []
        for path in try read(root).keys.sorted() where tree[path] == nil {
            guard let top = path.split(separator: "/").first, owned.contains(String(top)), path.contains("/") else { continue }
            try FileManager.default.removeItem(at: root.appendingPathComponent(path))
            removed.append(path)
        }
        return removed
    }

    static func lines(_ d: Data) -> [Substring] {
        String(decoding: d, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
    }
}
