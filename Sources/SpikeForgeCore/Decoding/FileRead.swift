import Foundation

/// Why a file could not be read: it is missing, not a regular file, larger than the format
/// allows, or unreadable (with the system's reason).
public struct FileReadError: Error, Equatable, Sendable, CustomStringConvertible {
    public var path: String
    public var reason: String
    public init(path: String, reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String { "'\(path)': \(reason)" }
}

/// Reads whole files with a stated size limit, so a file can never make SpikeForge allocate
/// more than its format can need.
public enum FileRead {
    public static func bounded(_ url: URL, limit: Int) throws(FileReadError) -> Data {
        var st = stat()
        guard stat(url.path, &st) == 0 else {
            throw FileReadError(path: url.path, reason: errno == ENOENT ? "missing" : "cannot read it (\(String(cString: strerror(errno))))")
        }
        guard st.st_mode & S_IFMT == S_IFREG else { throw FileReadError(path: url.path, reason: "not a regular file") }
        guard Int(st.st_size) <= limit else {
            throw FileReadError(path: url.path, reason: "\(st.st_size) bytes, expected at most \(limit) for this kind of file")
        }
        guard let h = FileHandle(forReadingAtPath: url.path) else {
            throw FileReadError(path: url.path, reason: "cannot open it (\(String(cString: strerror(errno))))")
        }
        defer { try? h.close() }
        do {
            let d = try h.read(upToCount: limit + 1) ?? Data()
            if d.count > limit { throw FileReadError(path: url.path, reason: "more than \(limit) bytes, expected at most \(limit) for this kind of file") }
            return d
        } catch let e as FileReadError {
            throw e
        } catch {
            throw FileReadError(path: url.path, reason: "cannot read it (\(error.localizedDescription))")
        }
    }
}
