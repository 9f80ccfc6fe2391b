import Foundation

/// Failures of the external EDA tools, each saying what to do about it.
public enum ToolError: Error, Equatable, CustomStringConvertible {
    case notFound(tool: String, envVar: String, install: String)
    case failed(tool: String, command: String, status: Int32, output: String)
    case gate(gate: String, top: String, problems: [String], log: String)

    public var description: String {
        switch self {
        case let .notFound(tool, env, install):
            return "\(tool) not found: looked in $\(env) and PATH. Install it with `tools/setup` (or `\(install)`), or point $\(env) at the binary."
        case let .failed(tool, command, status, output):
            return "\(tool) failed with exit status \(status)\n  command: \(command)\n" + output.split(separator: "\n").suffix(40).map { "  | \($0)" }.joined(separator: "\n")
        case let .gate(gate, top, problems, _):
            return "\(gate) gate failed for \(top):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
        }
    }
}

/// An external program found through `$ENVVAR` or `PATH`.
public struct Tool: Sendable {
    public let name: String
    public let path: String

    /// The program at `path` (found some other way than `locate`), named `name` in messages.
    public init(name: String, path: String) {
        self.name = name
        self.path = path
    }

    public static func locate(_ name: String, envVar: String, install: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ToolError) -> Tool {
        try locate(anyOf: [name], envVar: envVar, install: install, environment: environment)
    }

    /// `$envVar` when set, else the first of `names` found on PATH, trying each name in the
    /// whole PATH before the next (a preferred build first, a fallback after it). Messages
    /// name the last, the one `install` installs.
    public static func locate(anyOf names: [String], envVar: String, install: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ToolError) -> Tool {
        let name = names.last ?? envVar
        if let p = environment[envVar], !p.isEmpty {
            if FileManager.default.isExecutableFile(atPath: p) { return Tool(name: name, path: p) }
            throw .notFound(tool: name, envVar: envVar, install: install)
        }
        let dirs = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for n in names {
            for dir in dirs {
                let p = "\(dir)/\(n)"
                if FileManager.default.isExecutableFile(atPath: p) { return Tool(name: n, path: p) }
            }
        }
        throw .notFound(tool: name, envVar: envVar, install: install)
    }

    /// Runs `body` in a new scratch directory under the temporary directory, removed afterwards.
    public static func withScratchDirectory<T>(_ prefix: String, _ body: (URL) throws(ToolError) -> T) throws(ToolError) -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw .failed(tool: prefix, command: "mkdir \(dir.path)", status: -1, output: "\(error)")
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(dir)
    }

    public static func verilator() throws(ToolError) -> Tool { try locate("verilator", envVar: "VERILATOR", install: "apt-get install verilator") }
    public static func yosys() throws(ToolError) -> Tool { try locate("yosys", envVar: "YOSYS", install: "apt-get install yosys") }
    public static func iverilog() throws(ToolError) -> Tool { try locate("iverilog", envVar: "IVERILOG", install: "apt-get install iverilog") }

    /// Runs the tool, returning exit status and combined stdout+stderr.
    public func run(_ args: [String], in directory: URL? = nil, environment: [String: String]? = nil) throws(ToolError) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        if let d = directory { p.currentDirectoryURL = d }
        if let e = environment { p.environment = e }
        // The name may be a path (a program found some other way): only its last component names the log.
        let logURL = FileManager.default.temporaryDirectory.appendingPathComponent("sf-\(URL(fileURLWithPath: name).lastPathComponent)-\(UUID().uuidString).log")
        guard FileManager.default.createFile(atPath: logURL.path, contents: nil) else {
            throw .failed(tool: name, command: commandLine(args), status: -1, output: "cannot create the log file \(logURL.path)")
        }
        defer { try? FileManager.default.removeItem(at: logURL) }
        do {
            let h = try FileHandle(forWritingTo: logURL)
            defer { try? h.close() }
            p.standardOutput = h
            p.standardError = h
            p.standardInput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
        } catch {
            throw .failed(tool: name, command: commandLine(args), status: -1, output: "\(error)")
        }
        let out = (try? String(contentsOf: logURL, encoding: .utf8)) ?? ""
        return (p.terminationStatus, out)
    }

    /// Runs the tool and throws unless it exits 0.
    @discardableResult
    public func check(_ args: [String], in directory: URL? = nil) throws(ToolError) -> String {
        let (s, out) = try run(args, in: directory)
        if s != 0 { throw .failed(tool: name, command: commandLine(args), status: s, output: out) }
        return out
    }

    public func commandLine(_ args: [String]) -> String { ([path] + args).map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ") }

    /// The first line the tool prints for `--version` (or `-V`).
    public func version(flag: String = "--version") throws(ToolError) -> String {
        let out = try check([flag])
        return out.split(separator: "\n").first.map(String.init) ?? ""
    }
}
