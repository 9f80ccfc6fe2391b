import EDATools
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
    /// The daemons started, in order, by process id; `exited`: the wait status of those reaped.
    private(set) var daemons: [(name: String, pid: pid_t)] = []
    private var exited: [pid_t: Int32] = [:]
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

    /// Starts a daemon with posix_spawn, output to `<name>.out`, no descriptor of this process
    /// but 0, 1 and 2 (Foundation's `Process` watches a socket its child inherits, and a daemon
    /// that closes every descriptor, as slurmctld does, would look exited to it and block its
    /// process monitor in `waitpid`; an inherited socket of another test's `Process` would
    /// equally hide that process's exit).
    func launch(_ name: String, _ args: [String]) throws {
        guard let exe = Self.tool(name) else { throw Failure("\(name) not found") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, dir.appendingPathComponent("\(name).out").path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        for fd in (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd"))?.compactMap({ Int32($0) }) ?? [] where fd > 2 {
            posix_spawn_file_actions_addclose(&actions, fd)
        }
        let argv = ([exe] + args).map { strdup($0) } + [nil], envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, nil, argv, envp)
        guard rc == 0 else { throw Failure("posix_spawn \(exe): \(String(cString: strerror(rc)))") }
        daemons.append((name, pid))
    }

    /// Whether a daemon still runs (reaps it when it has exited; `status` then holds its wait status).
    func running(_ pid: pid_t) -> Bool {
        var status: Int32 = 0
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid { exited[pid] = status }
        return r == 0
    }

    /// Runs a Slurm command (or `spikeforge`, given as a path) to the end; its output, or a failure.
    @discardableResult
    func run(_ name: String, _ args: [String]) throws -> String {
        guard let exe = name.hasPrefix("/") ? name : Self.tool(name) else { throw Failure("\(name) not found") }
        let tool = Tool(name: name, path: exe)
        let (status, out) = try tool.run(args, environment: environment)
        guard status == 0 else { throw Failure("\(tool.commandLine(args)) failed (\(status)):\n\(out)") }
        return out
    }

    func wait(for what: String, seconds: Double, _ done: () -> Bool) throws {
        let end = Date().addingTimeInterval(seconds)
        while !done() {
            if let dead = daemons.first(where: { !running($0.pid) }) {
                throw Failure("\(dead.name) exited (wait status \(exited[dead.pid] ?? -1)) while waiting for \(what)\n\(logs())")
            }
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
        if !jobs.isEmpty, daemons.allSatisfy({ running($0.pid) }) { _ = try? run("scancel", jobs) }
        for (_, pid) in daemons.reversed() where running(pid) {
            kill(pid, SIGTERM)
            let end = Date().addingTimeInterval(timeout)
            while running(pid) && Date() < end { usleep(100_000) }
            if running(pid) {
                kill(pid, SIGKILL)
                var status: Int32 = 0
                waitpid(pid, &status, 0)
            }
        }
        daemons = []
        try? FileManager.default.removeItem(at: dir)
    }
}
