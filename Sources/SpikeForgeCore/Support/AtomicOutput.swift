import Foundation

/// Why output could not be written. Nothing partial is left behind in any of these cases.
public enum OutputError: Error, Equatable, CustomStringConvertible {
    case notWritable(path: String, reason: String)
    case notADirectory(path: String)

    public var description: String {
        switch self {
        case let .notWritable(path, reason): return "cannot write to '\(path)': \(reason)"
        case let .notADirectory(path): return "'\(path)' exists and is not a directory"
        }
    }
}

/// Writes a set of files into a directory so that a failure never leaves a half-written file:
/// everything is staged in a hidden sibling directory first, then each file is renamed into
/// place (an atomic step on one file system).
public enum AtomicOutput {
    public static func write(files: [(name: String, contents: Data)], to directory: URL) throws(OutputError) {
        let fm = FileManager.default
        let dir = directory.standardizedFileURL
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: dir.path, isDirectory: &isDir), !isDir.boolValue {
            throw .notADirectory(path: dir.path)
        }
        let parent = dir.deletingLastPathComponent()
        let stage = parent.appendingPathComponent(".\(dir.lastPathComponent).staging-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0 ... .max))")
        do {
            try fm.createDirectory(at: stage, withIntermediateDirectories: true)
        } catch {
            throw .notWritable(path: dir.path, reason: Self.reason(error))
        }
        defer { try? fm.removeItem(at: stage) }
        do {
            for f in files {
                let url = stage.appendingPathComponent(f.name)
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try f.contents.write(to: url)
            }
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            for f in files {
                let dst = dir.appendingPathComponent(f.name)
                try fm.createDirectory(at: dst.deletingLastPathComponent(), withIntermediateDirectories: true)
                if rename(stage.appendingPathComponent(f.name).path, dst.path) != 0 {
                    throw OutputError.notWritable(path: dst.path, reason: String(cString: strerror(errno)))
                }
            }
        } catch let e as OutputError {
            throw e
        } catch {
            throw .notWritable(path: dir.path, reason: Self.reason(error))
        }
    }

    /// Writes one file via a temporary name and `rename`.
    public static func write(_ data: Data, to url: URL) throws(OutputError) {
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0 ... .max))")
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: tmp)
        } catch {
            try? FileManager.default.removeItem(at: tmp)
            throw .notWritable(path: url.path, reason: reason(error))
        }
        if rename(tmp.path, url.path) != 0 {
            let r = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: tmp)
            throw .notWritable(path: url.path, reason: r)
        }
    }

    private static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(u.code)))
        }
        return ns.localizedDescription
    }
}
