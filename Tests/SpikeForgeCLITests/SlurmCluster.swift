import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A one-node Slurm cluster on this machine, owned by the test: a munge key (mode 0400) and
/// `munged`, `slurmctld` and `slurmd` in the foreground, every file (sockets, state, spool, pid
/// files, logs) in a temporary directory, free ports. `stop()` ends exactly the daemons it started,
/// by process id: SIGTERM, then SIGKILL after a timeout.
final class SlurmCluster {
    static let daemons = ["munged", "slurmctld", "slurmd"], clients = ["sbatch", "scontrol", "sinfo", "scancel"]

    /// Where a tool is: PATH, then the sbin directories (daemons are there, often not on a user's PATH).
    static func tool(_ name: String) -> String? {
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin", "/usr/local/sbin"]
        return path.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static var missingTools: [String] { (daemons + clients).filter { tool($0) == nil } }

    let dir: URL
    let conf: URL
    private(set) var processes: [(name: String, process: Process)] = []
    /// The environment of every Slurm command: the cluster's configuration, no `$SBATCH`.
    var environment: [String: String] {
        var e = ProcessInfo.processInfo.environment
        e["SLURM_CONF"] = conf.path
        e["SBATCH"] = nil
        return e
    }

    init() throws {
        dir = URL(fileURLWithPath: "/tmp/sf-slurm-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        conf = dir.appendingPathComponent("slurm.conf")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("state"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("spool"), withIntermediateDirectories: true)
    }

    /// A TCP port nobody listens on now (bound to port 0, the kernel's pick, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure("socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &a) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0 }
        }
        guard ok else { throw Failure("bind: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: a.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    /// Starts munged, slurmctld and slurmd and waits until the node is idle.
    func start() throws {
        let key = dir.appendingPathComponent("munge.key"), socket = dir.appendingPathComponent("munge.sock")
        try Data((0 ..< 1024).map { _ in UInt8.random(in: 0 ... 255) }).write(to: key)
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: key.path)
        try launch("munged", ["-F", "--socket=\(socket.path)", "--key-file=\(key.path)", "--pid-file=\(dir.path)/munged.pid",
                              "--log-file=\(dir.path)/munged.log", "--seed-file=\(dir.path)/munged.seed"])
        try wait(for: "munged's socket", seconds: 10) { FileManager.default.fileExists(atPath: socket.path) }
        let user = String(cString: getpwuid(getuid()).pointee.pw_name)
        let node = "sfnode"
        let (ctld, slurmd) = (try Self.freePort(), try Self.freePort())
        let lines = [
            "ClusterName=spikeforge-test", "SlurmctldHost=localhost", "SlurmctldPort=\(ctld)", "SlurmdPort=\(slurmd)", "SlurmUser=\(user)",
            "AuthType=auth/munge", "CredType=cred/munge", "AuthInfo=socket=\(socket.path)",
            // No cgroups in a container: processes tracked by their parents, no task binding.
            "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none", "SelectType=select/cons_tres", "SelectTypeParameters=CR_Core",
            "StateSaveLocation=\(dir.path)/state", "SlurmdSpoolDir=\(dir.path)/spool", "SlurmctldPidFile=\(dir.path)/slurmctld.pid",
            "SlurmdPidFile=\(dir.path)/slurmd.pid", "SlurmctldLogFile=\(dir.path)/slurmctld.log", "SlurmdLogFile=\(dir.path)/slurmd.log",
            "MpiDefault=none", "ReturnToService=2", "JobCompType=jobcomp/none", "AccountingStorageType=accounting_storage/none",
            "JobAcctGatherType=jobacct_gather/none", "MinJobAge=600",
            "NodeName=\(node) NodeHostname=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=1000 State=UNKNOWN",
            "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        ]
        try (lines.joined(separator: "\n") + "\n").write(to: conf, atomically: true, encoding: .utf8)
        try launch("slurmctld", ["-D", "-f", conf.path])
        try launch("slurmd", ["-D", "-f", conf.path, "-N", node])
        try wait(for: "the node to be idle (sinfo)", seconds: 60) { (try? self.run("sinfo", ["-h", "-o", "%t"]))?.trimmingCharacters(in: .whitespacesAndNewlines) == "idle" }
    }

    func launch(_ name: String, _ args: [String]) throws {
        guard let exe = Self.tool(name) else { throw Failure("\(name) not found") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = environment
        let log = dir.appendingPathComponent("\(name).out")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try h.close()
        processes.append((name, p))
    }

    /// Runs a Slurm command (or `spikeforge`, given as a path) to the end; its output, or a failure.
    @discardableResult
    func run(_ name: String, _ args: [String]) throws -> String {
        guard let exe = name.hasPrefix("/") ? name : Self.tool(name) else { throw Failure("\(name) not found") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.environment = environment
        let log = dir.appendingPathComponent("cmd-\(UUID().uuidString).out")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let h = try FileHandle(forWritingTo: log)
        p.standardOutput = h
        p.standardError = h
        p.standardInput = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try h.close()
        let out = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: log)
        guard p.terminationStatus == 0 else { throw Failure("\(name) \(args.joined(separator: " ")) failed (\(p.terminationStatus)):\n\(out)") }
        return out
    }

    func wait(for what: String, seconds: Double, _ done: () -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while !done() {
            if let dead = processes.first(where: { !$0.process.isRunning }) { throw Failure("\(dead.name) exited (\(dead.process.terminationStatus)) while waiting for \(what)\n\(logs())") }
            guard Date() < end else { throw Failure("timed out after \(seconds) s waiting for \(what)\n\(logs())") }
            usleep(200_000)
        }
    }

    /// A job's state (`scontrol show job`: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...).
    func state(_ job: String) -> String {
        let out = (try? run("scontrol", ["show", "job", job])) ?? ""
        return out.split(whereSeparator: { $0 == " " || $0 == "\n" }).first { $0.hasPrefix("JobState=") }.map { String($0.dropFirst(9)) } ?? "unknown"
    }

    /// The end of every log, for failure messages.
    func logs() -> String {
        ["munged.log", "munged.out", "slurmctld.log", "slurmctld.out", "slurmd.log", "slurmd.out"].map { name in
            let text = (try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? "(none)"
            return "--- \(name):\n" + text.split(separator: "\n").suffix(15).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Cancels `jobs`, then stops every daemon this cluster started, newest first: SIGTERM, up to
    /// `timeout` seconds, then SIGKILL; then removes the directory.
    func stop(cancelling jobs: [String] = [], timeout: Double = 10) {
        if !jobs.isEmpty, processes.allSatisfy({ $0.process.isRunning }) { _ = try? run("scancel", jobs) }
        for (_, p) in processes.reversed() where p.isRunning {
            kill(p.processIdentifier, SIGTERM)
            let end = Date().addingTimeInterval(timeout)
            while p.isRunning && Date() < end { usleep(100_000) }
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
            p.waitUntilExit()
        }
        processes = []
        try? FileManager.default.removeItem(at: dir)
    }
}
