import CFileOps
import Foundation

/// The POSIX steps behind `AtomicOutput`: hidden sibling names, directory creation with honest
/// errors (from `errno` through `strerror`), the swap, and the clean-up of a killed run's leftovers.
enum Staging {
    /// A staged new tree, or an old tree renamed aside by the fallback swap.
    enum Role: String { case new = "sf-new", old = "sf-old" }

    enum Kind { case missing, directory, other }

    /// `stat` (following links): what is at `path`.
    static func kind(of path: String) -> Kind {
        var st = stat()
        guard stat(path, &st) == 0 else { return .missing }
        return (st.st_mode & S_IFMT) == S_IFDIR ? .directory : .other
    }

    /// The absolute path, with a symbolic link in the last component followed (so the linked
    /// directory is replaced, not the link).
    static func resolve(_ url: URL) -> URL {
        let u = url.standardizedFileURL
        guard let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: u.path) else { return u }
        return URL(fileURLWithPath: dest, relativeTo: u.deletingLastPathComponent()).standardizedFileURL
    }

    /// The output's name as used in its siblings' names (bounded so the sibling name fits NAME_MAX).
    static func base(_ dir: URL) -> String { String(dir.lastPathComponent.prefix(160)) }

    static func name(_ dir: URL, _ role: Role) -> URL {
        let pid = ProcessInfo.processInfo.processIdentifier
        let tag = String(UInt32.random(in: 0 ... .max), radix: 16)
        return dir.deletingLastPathComponent().appendingPathComponent(".\(base(dir)).\(role.rawValue)-\(pid)-\(tag)")
    }

    /// The role and process id of a sibling `entry` of `dir` that SpikeForge staged, else nil.
    static func parse(_ entry: String, for dir: URL) -> (role: Role, pid: Int32)? {
        for role in [Role.new, .old] {
            let prefix = ".\(base(dir)).\(role.rawValue)-"
            guard entry.hasPrefix(prefix) else { continue }
            let rest = entry.dropFirst(prefix.count).split(separator: "-")
            guard rest.count == 2, let pid = Int32(rest[0]), pid > 0, UInt32(rest[1], radix: 16) != nil else { return nil }
            return (role, pid)
        }
        return nil
    }

    static func alive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }

    /// Removes what killed processes left next to `dir`; an old tree renamed aside is renamed
    /// back when nothing is under the name (the fallback swap was killed between its renames).
    static func cleanUp(_ dir: URL) {
        let parent = dir.deletingLastPathComponent()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: parent.path)) ?? []
        for e in entries.sorted() {
            guard let (role, pid) = parse(e, for: dir), !alive(pid) else { continue }
            let path = parent.appendingPathComponent(e)
            if role == .old, kind(of: dir.path) == .missing, rename(path.path, dir.path) == 0 { continue }
            remove(path)
        }
    }

    static func remove(_ url: URL) { try? FileManager.default.removeItem(at: url) }

    static func strerror() -> String { String(cString: Foundation.strerror(errno)) }

    /// Why `mkdir` in an existing parent failed, as the end of "the parent 'P' …".
    static func mkdirReason(_ code: Int32) -> String {
        let text = String(cString: Foundation.strerror(code))
        switch code {
        case EACCES, EPERM, EROFS: return "is not writable (\(text))"
        case ENOENT: return "does not accept new entries (\(text))"
        case ENOSPC, EDQUOT: return "has no space left (\(text))"
        case ENOTDIR: return "is not a directory (\(text))"
        default: return "refused it (\(text))"
        }
    }

    /// Creates `dir`'s missing ancestors, naming the first one that cannot be created and why.
    static func makeParent(of dir: URL) throws(OutputError) {
        let parent = dir.deletingLastPathComponent()
        guard parent.path != dir.path else { throw .notWritable(path: dir.path, reason: "the root directory cannot be an output") }
        switch kind(of: parent.path) {
        case .directory: return
        case .other: throw .cannotCreate(path: dir.path, parent: parent.path, reason: "is a file, not a directory")
        case .missing:
            try makeParent(of: parent)
            try makeDirectory(parent)
        }
    }

    /// `mkdir dir` in an existing parent (an existing directory is fine).
    static func makeDirectory(_ dir: URL) throws(OutputError) {
        if mkdir(dir.path, 0o755) == 0 { return }
        let code = errno
        if code == EEXIST, kind(of: dir.path) == .directory { return }
        throw .cannotCreate(path: dir.path, parent: dir.deletingLastPathComponent().path, reason: mkdirReason(code))
    }

    /// Creates `dir` and any missing directories between it and `root` (which exists).
    static func makeDirectories(_ dir: URL, under root: URL) throws(OutputError) {
        guard dir.path.count > root.path.count, kind(of: dir.path) != .directory else { return }
        try makeDirectories(dir.deletingLastPathComponent(), under: root)
        try makeDirectory(dir)
    }

    /// A new, empty staging directory next to `dir`; errors name `dir` (what the user asked for).
    static func create(_ dir: URL, _ role: Role) throws(OutputError) -> URL {
        let stage = name(dir, role)
        if mkdir(stage.path, 0o755) != 0 {
            throw .cannotCreate(path: dir.path, parent: dir.deletingLastPathComponent().path, reason: mkdirReason(errno))
        }
        return stage
    }

    /// Writes every file into `stage` (subdirectories created as needed); errors name the file
    /// under `shown`, the output the user asked for.
    static func fill(_ stage: URL, with files: [(name: String, contents: Data)], shown: URL) throws(OutputError) {
        for f in files {
            let url = stage.appendingPathComponent(f.name)
            try makeDirectories(url.deletingLastPathComponent(), under: stage)
            do { try f.contents.write(to: url) } catch { throw .notWritable(path: shown.appendingPathComponent(f.name).path, reason: reason(error)) }
        }
    }

    /// Puts the staged tree `stage` in place of `dir`: `rename` when nothing is there, else an
    /// atomic exchange (then the old tree, now at `stage`, is deleted), else the fallback.
    static func swap(_ stage: URL, into dir: URL, exists: Bool, exchange: Bool) throws(OutputError) {
        if !exists {
            if rename(stage.path, dir.path) == 0 { return }
            throw .notWritable(path: dir.path, reason: strerror())
        }
        if exchange {
            if sf_exchange_paths(stage.path, dir.path) == 0 { return remove(stage) }
            guard errno == EINVAL || errno == ENOSYS || errno == ENOTSUP else { throw .notWritable(path: dir.path, reason: strerror()) }
        }
        try swapAside(stage, into: dir)
    }

    /// The fallback: old aside, new in, old removed. Between the two renames nothing is under
    /// the name; `cleanUp` renames the old tree back if the process dies there.
    static func swapAside(_ stage: URL, into dir: URL) throws(OutputError) {
        let old = name(dir, .old)
        guard rename(dir.path, old.path) == 0 else { throw .notWritable(path: dir.path, reason: strerror()) }
        guard rename(stage.path, dir.path) == 0 else {
            let r = strerror()
            _ = rename(old.path, dir.path)
            throw .notWritable(path: dir.path, reason: r)
        }
        remove(old)
    }

    /// The system's text for a Foundation error (its POSIX cause when there is one).
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: Foundation.strerror(Int32(u.code)))
        }
        if ns.domain == NSPOSIXErrorDomain { return String(cString: Foundation.strerror(Int32(ns.code))) }
        return ns.localizedDescription
    }
}
