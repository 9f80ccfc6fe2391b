import Foundation

/// File names inside a manifest (model tensors, SRAM images) name files in the manifest's own
/// directory: a plain name, never a path. Anything else is refused before it is opened.
public enum ManifestName {
    /// Why `name` is not a plain file name of `directory` (nil when it is): empty, `.` or `..`,
    /// a separator or NUL in it, or a symbolic link that leads out of the directory.
    public static func problem(_ name: String, in directory: URL) -> String? {
        if name.isEmpty { return "an empty file name" }
        if name == "." || name == ".." || name.contains("/") || name.contains("\\") || name.contains("\0") {
            return "'\(name)' is not a plain file name in the directory (no separators, no '..', no absolute paths)"
        }
        let url = directory.appendingPathComponent(name)
        if let dest = try? FileManager.default.destinationOfSymbolicLink(atPath: url.path) {
            let target = URL(fileURLWithPath: dest, relativeTo: directory).standardizedFileURL.resolvingSymlinksInPath()
            let home = directory.standardizedFileURL.resolvingSymlinksInPath()
            if target.deletingLastPathComponent().path != home.path {
                return "'\(name)' is a symbolic link out of the directory (to \(dest))"
            }
        }
        return nil
    }
}
