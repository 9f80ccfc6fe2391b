import CFileOps
import Foundation

/// Why output could not be written. In every case the previous output (if any) is left as it was,
/// and nothing partial is visible under the output's name.
public enum OutputError: Error, Equatable, CustomStringConvertible {
    /// A step on `path` failed; `reason` is the system's (strerror) text.
    case notWritable(path: String, reason: String)
    /// `path` exists and is a file (or another non-directory).
    case notADirectory(path: String)
    /// `path` could not be created in `parent`; `reason` says why, with the system's text.
    case cannotCreate(path: String, parent: String, reason: String)
    /// `path` is a non-empty directory without `marker`: not a SpikeForge output of `kind`, so it
    /// is not replaced (an `--out ~` must never delete a home directory).
    case notOutput(path: String, kind: String, marker: String)

    public var description: String {
        switch self {
        case let .notWritable(path, reason): return "cannot write to '\(path)': \(reason)"
        case let .notADirectory(path): return "'\(path)' exists and is a file, expected a directory or nothing"
        case let .cannotCreate(path, parent, reason): return "cannot create '\(path)': the parent '\(parent)' \(reason)"
        case let .notOutput(path, kind, marker):
            return "refusing to replace '\(path)': it is a non-empty directory without \(marker), so not a SpikeForge \(kind); "
                + "choose a new or empty directory, or remove it yourself"
        }
    }
}

/// What a whole output directory is, and the file that marks one: only an empty directory or
/// one holding the marker is ever replaced.
public struct OutputKind: Sendable, Equatable {
    public var name: String
    public var marker: String

    public init(name: String, marker: String) {
        self.name = name
        self.marker = marker
    }

    public static let model = OutputKind(name: "model directory", marker: "manifest.json")
    public static let design = OutputKind(name: "design directory", marker: "system.json")
    public static let rtl = OutputKind(name: "RTL directory", marker: "files.f")
    public static let images = OutputKind(name: "image directory", marker: "manifest.json")
    public static let checkpoint = OutputKind(name: "training checkpoint", marker: "checkpoint.json")
}

/// Writes output so that a failure or a kill at any moment leaves the complete old output or the
/// complete new one, never a mix.
///
/// `replaceDirectory` stages the whole new directory in a hidden sibling
/// (`.<name>.sf-new-<pid>-<random>`), then swaps it into place: on Linux with
/// `renameat2(RENAME_EXCHANGE)` (macOS: `renamex_np(RENAME_SWAP)`), one atomic step, after which
/// the old tree sits under the staging name and is deleted. Where the file system cannot exchange
/// (`EINVAL`/`ENOSYS`), the old directory is renamed aside (`.<name>.sf-old-…`), the new one
/// renamed in, and the old one removed: a kill between those two renames leaves no directory under
/// the name for that instant, and the next write to the name renames the old one back. Leftovers of a killed process are hidden siblings, never inside the output, and the next
/// write to the same name removes them (a live process's are left alone).
///
/// A kill, not a power loss: files are not `fsync`ed.
public enum AtomicOutput {
    /// Replaces the directory `directory` (created if missing, with its parents) by exactly
    /// `files` (relative paths, subdirectories allowed). An existing directory is replaced only
    /// when it is empty or holds `kind.marker`.
    public static func replaceDirectory(at directory: URL, with files: [(name: String, contents: Data)], kind: OutputKind) throws(OutputError) {
        try replaceDirectory(at: directory, with: files, kind: kind, exchange: true)
    }

    /// `exchange: false` forces the rename-aside fallback (tested on its own).
    static func replaceDirectory(at directory: URL, with files: [(name: String, contents: Data)], kind: OutputKind, exchange: Bool) throws(OutputError) {
        let dir = Staging.resolve(directory)
        try Staging.makeParent(of: dir)
        Staging.cleanUp(dir)
        let exists = try existsReplaceable(dir, kind: kind)
        let stage = try Staging.create(dir, .new)
        do {
            try Staging.fill(stage, with: files, shown: dir)
            try Staging.swap(stage, into: dir, exists: exists, exchange: exchange)
        } catch {
            Staging.remove(stage)
            throw error
        }
    }

    /// Checks, before any long work, that `replaceDirectory` could replace `directory`: not the
    /// root, not under a file, and either missing, empty or marked as `kind`. Creates nothing.
    public static func checkReplaceable(_ directory: URL, kind: OutputKind) throws(OutputError) {
        let dir = Staging.resolve(directory)
        var ancestor = dir.deletingLastPathComponent()
        if ancestor.path == dir.path { throw .notWritable(path: dir.path, reason: "the root directory cannot be an output") }
        var child = dir
        while Staging.kind(of: ancestor.path) == .missing, ancestor.path != child.path {
            child = ancestor
            ancestor = ancestor.deletingLastPathComponent()
        }
        if Staging.kind(of: ancestor.path) == .other { throw .cannotCreate(path: child.path, parent: ancestor.path, reason: "is a file, not a directory") }
        _ = try existsReplaceable(dir, kind: kind)
    }

    /// Whether `dir` exists (as a directory we may replace); throws when it must not be replaced.
    static func existsReplaceable(_ dir: URL, kind: OutputKind) throws(OutputError) -> Bool {
        switch Staging.kind(of: dir.path) {
        case .missing: return false
        case .other: throw .notADirectory(path: dir.path)
        case .directory:
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
            if !entries.isEmpty, !entries.contains(kind.marker) { throw .notOutput(path: dir.path, kind: kind.name, marker: kind.marker) }
            return true
        }
    }

    /// Adds `files` to `directory` (created if missing), each file atomically (staged, then
    /// renamed over its name); other files in the directory stay. For directories shared with
    /// other outputs (`host-program`, `noc sweep`); a whole output uses `replaceDirectory`.
    public static func write(files: [(name: String, contents: Data)], to directory: URL) throws(OutputError) {
        let dir = Staging.resolve(directory)
        try Staging.makeParent(of: dir)
        Staging.cleanUp(dir)
        switch Staging.kind(of: dir.path) {
        case .other: throw .notADirectory(path: dir.path)
        case .missing: try Staging.makeDirectory(dir)
        case .directory: break
        }
        let stage = try Staging.create(dir, .new)
        defer { Staging.remove(stage) }
        try Staging.fill(stage, with: files, shown: dir)
        for f in files {
            let dst = dir.appendingPathComponent(f.name)
            try Staging.makeDirectories(dst.deletingLastPathComponent(), under: dir)
            if rename(stage.appendingPathComponent(f.name).path, dst.path) != 0 {
                throw .notWritable(path: dst.path, reason: Staging.strerror())
            }
        }
    }

    /// Writes one file via a temporary name in its directory and `rename`.
    public static func write(_ data: Data, to url: URL) throws(OutputError) {
        let file = Staging.resolve(url)
        try Staging.makeParent(of: file)
        Staging.cleanUp(file)
        if Staging.kind(of: file.path) == .directory { throw .notWritable(path: file.path, reason: "it is a directory, expected a file or nothing") }
        let tmp = Staging.name(file, .new)
        do { try data.write(to: tmp) } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw .notWritable(path: file.path, reason: Staging.reason(error))
        }
        if rename(tmp.path, file.path) != 0 {
            let r = Staging.strerror()
            try? FileManager.default.removeItem(at: tmp)
            throw .notWritable(path: file.path, reason: r)
        }
    }

    /// Removes the directory `directory` atomically: it is renamed to a hidden sibling first (one
    /// step), then deleted, so a kill leaves it whole or gone, never half-deleted under its name.
    public static func removeDirectory(at directory: URL) throws(OutputError) {
        let dir = Staging.resolve(directory)
        guard Staging.kind(of: dir.path) != .missing else { return }
        let doomed = Staging.name(dir, .new)
        guard rename(dir.path, doomed.path) == 0 else { throw .notWritable(path: dir.path, reason: Staging.strerror()) }
        Staging.remove(doomed)
    }

    /// Leftovers of killed writes next to `directory` (hidden siblings), for tests and checks.
    public static func leftovers(of directory: URL) -> [String] {
        let dir = Staging.resolve(directory)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir.deletingLastPathComponent().path)) ?? []
        return entries.filter { Staging.parse($0, for: dir) != nil }.sorted()
    }
}
