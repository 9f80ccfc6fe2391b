import EDATools
import Foundation
import SpikeForgeCore

/// Why a Slurm job could not be written or submitted.
public enum SlurmError: Error, Equatable, Sendable, CustomStringConvertible {
    case sbatchMissing(String)
    case submit(command: String, status: Int32, output: String)

    public var description: String {
        switch self {
        case let .sbatchMissing(why): return "--submit needs Slurm's sbatch: \(why)"
        case let .submit(command, status, output):
            return "sbatch failed with exit status \(status)\n  command: \(command)\n" + output.split(separator: "\n").suffix(20).map { "  | \($0)" }.joined(separator: "\n")
        }
    }
}

/// A Slurm job array and the job that runs after it: `tasks` array tasks, each running
/// `task` with `SlurmJob.taskID` replaced by the task's number (`$SLURM_ARRAY_TASK_ID`, 1...tasks),
/// then, once every task succeeded (`--dependency=afterok`), `after` (a merge, say). The scripts
/// are plain bash with `#SBATCH` lines; `options` adds free-form ones (`--partition=debug`,
/// `--time=1:00:00`, ...). Used by `simulate --slurm`; written for any command that shards.
public struct SlurmJob: Sendable {
    /// In an argument of `task`: the array task's number.
    public static let taskID = "{task}"
    public var name: String
    /// Where the scripts and the jobs' logs go (the tasks' outputs may go elsewhere).
    public var directory: URL
    public var tasks: Int
    public var task: [String]
    public var after: [String]
    /// `#SBATCH` options for both scripts, without the `#SBATCH ` prefix.
    public var options: [String]

    public init(name: String, directory: URL, tasks: Int, task: [String], after: [String], options: [String] = []) {
        self.name = name
        self.directory = directory
        self.tasks = tasks
        self.task = task
        self.after = after
        self.options = options
    }

    public var arrayScript: URL { directory.appendingPathComponent("array.sbatch") }
    public var afterScript: URL { directory.appendingPathComponent("merge.sbatch") }
    public var logs: URL { directory.appendingPathComponent("logs") }

    /// One argument for bash: single-quoted, with `taskID` as `"${SLURM_ARRAY_TASK_ID}"`.
    public static func quote(_ arg: String) -> String {
        if arg.isEmpty { return "''" }
        return arg.components(separatedBy: taskID).map { $0.isEmpty ? "" : "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            .joined(separator: "\"${SLURM_ARRAY_TASK_ID}\"")
    }

    func header(_ lines: [String]) -> String {
        (["#!/bin/bash"] + (lines + options).map { "#SBATCH \($0)" }).joined(separator: "\n")
    }

    /// The job-array script: `#SBATCH --array=1-tasks`, one log per task.
    public func arrayText() -> String {
        header(["--job-name=\(name)", "--array=1-\(tasks)", "--output=\(logs.path)/task-%a.out"]) + "\n"
            + "# Task K of \(tasks) (K = $SLURM_ARRAY_TASK_ID).\nset -euo pipefail\n" + task.map(Self.quote).joined(separator: " ") + "\n"
    }

    /// The script run after every task succeeded.
    public func afterText() -> String {
        header(["--job-name=\(name)-merge", "--output=\(logs.path)/merge.out"]) + "\n"
            + "# Runs after every task of the array succeeded (sbatch --dependency=afterok:<array job>).\nset -euo pipefail\n"
            + after.map(Self.quote).joined(separator: " ") + "\n"
    }

    /// Writes both scripts (each staged and renamed) and creates the log directory.
    public func write() throws {
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try AtomicOutput.write(Data(arrayText().utf8), to: arrayScript)
        try AtomicOutput.write(Data(afterText().utf8), to: afterScript)
        for u in [arrayScript, afterScript] { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: u.path) }
    }

    /// The commands that submit the written scripts by hand.
    public var submitInstructions: [String] {
        ["array=$(sbatch --parsable \(Self.quote(arrayScript.path)))",
         "sbatch --dependency=afterok:${array%%;*} --kill-on-invalid-dep=yes \(Self.quote(afterScript.path))"]
    }

    /// Slurm's `sbatch` (`$SBATCH`, else on the PATH).
    public static func sbatch(environment: [String: String] = ProcessInfo.processInfo.environment) throws(SlurmError) -> Tool {
        do { return try Tool.locate("sbatch", envVar: "SBATCH", install: "apt-get install slurm-client", environment: environment) } catch {
            throw .sbatchMissing(error.description)
        }
    }

    /// Submits the written scripts: the array (`sbatch --parsable`), then the job after it
    /// (`--dependency=afterok:<array id>`, cancelled if a task fails); returns both job ids.
    public func submit(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (array: String, after: String) {
        let sbatch = try Self.sbatch(environment: environment)
        func run(_ args: [String]) throws -> String {
            let (status, out) = try sbatch.run(args, in: directory)
            // --parsable prints `id` or `id;cluster` on the last line (warnings may come first).
            let last = out.split(separator: "\n").last.map { String($0.split(separator: ";").first ?? "") } ?? ""
            guard status == 0, !last.isEmpty, last.allSatisfy(\.isNumber) else {
                throw SlurmError.submit(command: sbatch.commandLine(args), status: status, output: out)
            }
            return last
        }
        let array = try run(["--parsable", arrayScript.path])
        let after = try run(["--parsable", "--dependency=afterok:\(array)", "--kill-on-invalid-dep=yes", afterScript.path])
        return (array, after)
    }
}
