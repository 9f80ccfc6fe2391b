import Foundation
import Testing

/// `simulate --slurm 4 --submit` on a real one-node Slurm cluster (`SlurmCluster`: munged,
/// slurmctld and slurmd of Debian's slurmctld, slurmd, slurm-client and munge, started by the
/// test): the array's four shards and the merge job run, and the merged report equals the
/// unsharded run's but for the speed line. Without the tools the test is skipped, except under CI
/// (`CI=true`), where their absence fails it (tools/setup installs them).
@Suite(.serialized) struct SimulateSlurmTests {
    static let underCI = ProcessInfo.processInfo.environment["CI"] == "true"

    @Test(.enabled(if: SlurmCluster.missingTools.isEmpty || underCI,
                   "needs Slurm and munge (munged, slurmctld, slurmd, sbatch, scontrol, sinfo, scancel): apt-get install slurmctld slurmd slurm-client munge, or tools/setup"))
    func aJobArrayAndItsMergeGiveTheWholeRunsReport() throws {
        try #require(SlurmCluster.missingTools.isEmpty, "missing under CI: \(SlurmCluster.missingTools.joined(separator: ", ")) (tools/setup installs them)")
        let exe = try #require(AtomicOutputCLITests.binary, "no spikeforge binary next to the tests; build it or set SPIKEFORGE_BIN")
        let f = try ShardCLITests.fixture.get()
        let cluster = try SlurmCluster()
        var jobs: [String] = []
        defer { cluster.stop(cancelling: jobs) }
        let t0 = Date()
        try cluster.start()
        let started = Date().timeIntervalSince(t0)

        let dir = cluster.dir.appendingPathComponent("run")
        let out = try cluster.run(exe.path, f.run + ["--slurm", "4", "--submit", "--slurm-dir", dir.path])
        let ids = out.split(separator: "\n").first { $0.hasPrefix("submitted: ") }.map { line in
            line.split(separator: " ").compactMap { Int($0) }.map(String.init)
        } ?? []
        try #require(ids.count >= 2, "no job ids in:\n\(out)")
        jobs = [ids[0], ids[1]]
        var state = "PENDING"
        try cluster.wait(for: "the merge job \(ids[1])", seconds: 120) {
            state = cluster.state(ids[1])
            return !["PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "unknown"].contains(state)
        }
        let log = { (name: String) in (try? String(contentsOf: dir.appendingPathComponent("logs/\(name)"), encoding: .utf8)) ?? "(no \(name))" }
        try #require(state == "COMPLETED", "merge job \(ids[1]) ended \(state)\n\(log("merge.out"))\n\((1 ... 4).map { log("task-\($0).out") }.joined(separator: "\n"))\n\(cluster.logs())")
        let merged = log("merge.out")
        let whole = try ShardCLITests.whole.get()
        #expect(ShardCLITests.comparable(merged) == ShardCLITests.comparable(whole), "merged:\n\(merged)\nwhole:\n\(whole)")
        #expect(merged.contains("summed over 4 shards for 22 images"), "\(merged)")
        for k in 1 ... 4 { #expect(log("task-\(k).out").contains("shard \(k)/4: images ["), "\(log("task-\(k).out"))") }
        print("Slurm: cluster up in \(String(format: "%.1f", started)) s; submitted to merged in \(String(format: "%.1f", Date().timeIntervalSince(t0) - started)) s")
    }
}
