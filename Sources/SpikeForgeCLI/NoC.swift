import ArgumentParser
import Foundation
import SpikeForgeCore
import Testbench

/// `spikeforge noc ...`: traffic sweeps and stress runs on the mesh.
public struct NoC: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "noc", abstract: "Mesh traffic: load sweeps and stress runs.", subcommands: [Sweep.self, Stress.self])
    public init() {}

    /// Offered load against accepted throughput and latency.
    public struct Sweep: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Accepted throughput and latency against offered load, with the saturation point; writes CSV and SVG.")

        @Option(parsing: .unconditional) var cols: Int = 8
        @Option(parsing: .unconditional) var rows: Int = 8
        @Option(help: "uniform, transpose, bitcomplement, hotspot or neighbor.") var traffic: String = "uniform"
        @Option(help: "model or verilator.") var engine: String = "model"
        @Option(parsing: .unconditional, help: "Flits per input queue.") var depth: Int = 4
        @Flag(help: "One queue per input instead of separate through and turn queues.") var singleQueue = false
        @Option(help: "Offered loads in flits/node/cycle, comma-separated.") var rates: String = "0.01,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.425,0.45,0.475,0.5,0.55"
        @Option(parsing: .unconditional) var warmup: Int = 2000
        @Option(parsing: .unconditional) var measure: Int = 5000
        @Option(parsing: .unconditional) var seed: UInt64 = 1
        @Option(help: "Directory for sweep.csv and sweep.svg.") var out: String = "spikeforge-out/noc-sweep"

        public init() {}

        public func run() throws {
            let (c, pattern) = try MeshTraffic.configure(cols: cols, rows: rows, depth: depth, traffic: traffic, split: !singleQueue)
            guard let eng = MeshEngineKind(rawValue: engine) else {
                throw ConfigError.invalid(block: "noc sweep", violations: [.init(field: "engine", value: engine, expected: "model or verilator")])
            }
            let loads = rates.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !loads.isEmpty, loads.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
                throw ConfigError.invalid(block: "noc sweep", violations: [.init(field: "rates", value: rates, expected: "comma-separated loads in (0, 1]")])
            }
            print("NoC sweep: \(cols)x\(rows) mesh, \(pattern.rawValue) traffic, single-flit packets, \(c.router.queues == 2 ? "two \(depth)-flit queues (through, turn)" : "one \(depth)-flit queue") per input, engine \(eng.rawValue)")
            print("warm-up \(warmup), measure \(measure), drain until every measured packet arrives (limit 20000); seed \(seed)\n")
            var sweep = LoadSweep(mesh: c, pattern: pattern, engine: eng, loads: loads)
            sweep.warmup = warmup
            sweep.measure = measure
            sweep.seed = seed
            let points = try sweep.run()
            var table: [[String]] = [["offered", "accepted", "mean latency", "p99 latency", "packets", "state"]]
            for (r, p) in zip(loads, points) {
                table.append([String(format: "%.3f", r), String(format: "%.3f", p.accepted), String(format: "%.1f", p.meanLatency), String(format: "%.0f", p.p99Latency), "\(p.packets)", p.isStable ? "stable" : "saturated"])
            }
            print(Table.render(table))
            let best = LoadSweep.bestAccepted(points)
            print("")
            print(String(format: "zero-load latency (at %.2f): %.1f cycles (BookSim 8x8 reference: ~27)", points[0].offered, points[0].meanLatency))
            if pattern == .uniform {
                print(String(format: "saturation throughput: %.3f flits/node/cycle (BookSim 8x8 uniform reference: ~0.40; bisection bound: %.3f)", best, MeshTraffic.bisectionBound(c, pattern)))
            } else {
                print(String(format: "saturation throughput: %.3f flits/node/cycle", best))
            }
            if let s = LoadSweep.saturation(points) { print(String(format: "saturation point: offered %.3f is the first load the network cannot sustain", s.offered)) }
            let dir = URL(fileURLWithPath: out)
            let title = "\(cols)x\(rows) mesh, \(pattern.rawValue), \(c.router.queues) x \(depth)-flit queues per input, \(eng.rawValue)"
            try AtomicOutput.write(files: [("sweep.csv", Data(LoadSweep.csv(points).utf8)), ("sweep.svg", Data(SVGPlot.loadLatency(points, title: title).utf8))], to: dir)
            print("wrote \(dir.path)/sweep.csv and sweep.svg")
        }
    }

    /// Above-saturation runs that check exactly-once, in-order delivery and full drain.
    public struct Stress: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Mixed unicast and multicast above saturation; checks every flit arrives exactly once, in order, and the mesh drains.")
        @Option(parsing: .unconditional) var cols: Int = 8
        @Option(parsing: .unconditional) var rows: Int = 8
        @Option(parsing: .unconditional) var seeds: Int = 10
        @Option(parsing: .unconditional) var cycles: Int = 1_000_000
        @Option(parsing: .unconditional) var rate: Double = 0.6
        @Option(parsing: .unconditional) var multicast: Double = 0.2
        @Option var engine: String = "model"
        public init() {}

        public func run() throws {
            let (c, _) = try MeshTraffic.configure(cols: cols, rows: rows, depth: 4, traffic: "uniform")
            guard let eng = MeshEngineKind(rawValue: engine) else {
                throw ConfigError.invalid(block: "noc stress", violations: [.init(field: "engine", value: engine, expected: "model or verilator")])
            }
            print("NoC stress: \(cols)x\(rows), \(seeds) seeds x \(cycles) cycles, offered \(rate) flits/node/cycle, \(Int(multicast * 100))% multicast")
            let stress = StressRun(mesh: c, engine: eng, rate: rate, multicast: multicast, cycles: cycles)
            for s in 1 ... seeds {
                let (p, seconds) = try stress.run(seed: s)
                print(String(format: "  seed %2d: %d packets delivered exactly once and in order, accepted %.3f flits/node/cycle, drained; %.1f s", s, p.packets, p.accepted, seconds))
            }
        }
    }
}
