import ArgumentParser
import Foundation
import Generators
import SpikeForgeCore
import Testbench
import VerilatorBridge

/// `spikeforge noc ...`: traffic sweeps and stress runs on the mesh.
public struct NoC: ParsableCommand {
    public static let configuration = CommandConfiguration(commandName: "noc", abstract: "Mesh traffic: load sweeps and stress runs.", subcommands: [Sweep.self, Stress.self])
    public init() {}

    enum Engine: String, ExpressibleByArgument, CaseIterable { case model, verilator }

    static func engine(_ e: Engine, _ c: MeshConfig) throws -> any MeshEngine {
        switch e {
        case .model: return ModelMeshEngine(c)
        case .verilator: return VerilatorMeshEngine(c, model: try VerilatedModel(try VerilatorBuild().build(try MeshGenerator.design(c))))
        }
    }

    static func meshConfig(cols: Int, rows: Int, depth: Int, traffic: String, split: Bool = true) throws -> (MeshConfig, TrafficPattern) {
        let c = MeshConfig(cols: cols, rows: rows, flitWidth: 64, bufferDepth: depth, splitQueues: split)
        var violations: [ConfigViolation] = []
        do { try c.validate() } catch { violations += error.violations }
        var pattern: TrafficPattern?
        do { pattern = try TrafficPattern.parse(traffic) } catch { violations += error.violations }
        if let p = pattern { violations += p.check(cols: cols, rows: rows) }
        if !violations.isEmpty { throw ConfigError.invalid(block: "noc sweep", violations: violations) }
        return (c, pattern!)
    }

    /// Offered load against accepted throughput and latency.
    public struct Sweep: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Accepted throughput and latency against offered load, with the saturation point; writes CSV and SVG.")

        @Option var cols: Int = 8
        @Option var rows: Int = 8
        @Option(help: "uniform, transpose, bitcomplement, hotspot or neighbor.") var traffic: String = "uniform"
        @Option(help: "model or verilator.") var engine: String = "model"
        @Option(help: "Flits per input queue.") var depth: Int = 4
        @Flag(help: "One queue per input instead of separate through and turn queues.") var singleQueue = false
        @Option(help: "Offered loads in flits/node/cycle, comma-separated.") var rates: String = "0.01,0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.425,0.45,0.475,0.5,0.55"
        @Option var warmup: Int = 2000
        @Option var measure: Int = 5000
        @Option var seed: UInt64 = 1
        @Option(help: "Directory for sweep.csv and sweep.svg.") var out: String = "spikeforge-out/noc-sweep"

        public init() {}

        public func run() throws {
            let (c, pattern) = try NoC.meshConfig(cols: cols, rows: rows, depth: depth, traffic: traffic, split: !singleQueue)
            guard let eng = Engine(rawValue: engine) else {
                throw ConfigError.invalid(block: "noc sweep", violations: [.init(field: "engine", value: engine, expected: "model or verilator")])
            }
            let loads = rates.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            guard !loads.isEmpty, loads.allSatisfy({ $0 > 0 && $0 <= 1 }) else {
                throw ConfigError.invalid(block: "noc sweep", violations: [.init(field: "rates", value: rates, expected: "comma-separated loads in (0, 1]")])
            }
            print("NoC sweep: \(cols)x\(rows) mesh, \(pattern.rawValue) traffic, single-flit packets, \(c.router.queues == 2 ? "two \(depth)-flit queues (through, turn)" : "one \(depth)-flit queue") per input, engine \(eng.rawValue)")
            print("warm-up \(warmup), measure \(measure), drain until every measured packet arrives (limit 20000); seed \(seed)\n")
            var points: [TrafficPoint] = []
            var rows: [[String]] = [["offered", "accepted", "mean latency", "p99 latency", "packets", "state"]]
            for r in loads {
                var e = try NoC.engine(eng, c)
                var run = TrafficRun(pattern: pattern, rate: r)
                run.warmup = warmup
                run.measure = measure
                run.seed = seed
                let p = try run.run(&e)
                points.append(p)
                let stable = p.drained && p.accepted >= 0.95 * p.offered
                rows.append([String(format: "%.3f", r), String(format: "%.3f", p.accepted), String(format: "%.1f", p.meanLatency), String(format: "%.0f", p.p99Latency), "\(p.packets)", stable ? "stable" : "saturated"])
            }
            print(Table.render(rows))
            let sat = points.first { !($0.drained && $0.accepted >= 0.95 * $0.offered) }
            let best = points.map(\.accepted).max() ?? 0
            print("")
            print(String(format: "zero-load latency (at %.2f): %.1f cycles (BookSim 8x8 reference: ~27)", points[0].offered, points[0].meanLatency))
            if pattern == .uniform {
                print(String(format: "saturation throughput: %.3f flits/node/cycle (BookSim 8x8 uniform reference: ~0.40; bisection bound: %.3f)", best, bisectionBound(c, pattern)))
            } else {
                print(String(format: "saturation throughput: %.3f flits/node/cycle", best))
            }
            if let s = sat { print(String(format: "saturation point: offered %.3f is the first load the network cannot sustain", s.offered)) }
            let dir = URL(fileURLWithPath: out)
            var csv = "offered,accepted,mean_latency,p99_latency,packets,drained\n"
            for p in points { csv += String(format: "%.4f,%.4f,%.2f,%.0f,%d,%@\n", p.offered, p.accepted, p.meanLatency, p.p99Latency, p.packets, p.drained ? "true" : "false") }
            let title = "\(cols)x\(rows) mesh, \(pattern.rawValue), \(c.router.queues) x \(depth)-flit queues per input, \(eng.rawValue)"
            try AtomicOutput.write(files: [("sweep.csv", Data(csv.utf8)), ("sweep.svg", Data(SVGPlot.loadLatency(points, title: title).utf8))], to: dir)
            print("wrote \(dir.path)/sweep.csv and sweep.svg")
        }

        /// 1 / (max channel load per unit injection) for uniform traffic on a k×k mesh: k/4 for even k.
        func bisectionBound(_ c: MeshConfig, _ p: TrafficPattern) -> Double {
            let k = Double(max(c.cols, c.rows))
            return p == .uniform ? (k.truncatingRemainder(dividingBy: 2) == 0 ? 4 / k : 4 * k / (k * k - 1)) : .nan
        }
    }

    /// Above-saturation runs that check exactly-once, in-order delivery and full drain.
    public struct Stress: ParsableCommand {
        public static let configuration = CommandConfiguration(abstract: "Mixed unicast and multicast above saturation; checks every flit arrives exactly once, in order, and the mesh drains.")
        @Option var cols: Int = 8
        @Option var rows: Int = 8
        @Option var seeds: Int = 10
        @Option var cycles: Int = 1_000_000
        @Option var rate: Double = 0.6
        @Option var multicast: Double = 0.2
        @Option var engine: String = "model"
        public init() {}

        public func run() throws {
            let (c, _) = try NoC.meshConfig(cols: cols, rows: rows, depth: 4, traffic: "uniform")
            guard let eng = Engine(rawValue: engine) else {
                throw ConfigError.invalid(block: "noc stress", violations: [.init(field: "engine", value: engine, expected: "model or verilator")])
            }
            print("NoC stress: \(cols)x\(rows), \(seeds) seeds x \(cycles) cycles, offered \(rate) flits/node/cycle, \(Int(multicast * 100))% multicast")
            for s in 1 ... seeds {
                var e = try NoC.engine(eng, c)
                var run = TrafficRun(pattern: .uniform, rate: rate)
                run.warmup = 0
                run.measure = cycles
                run.drainLimit = 200_000
                run.multicast = multicast
                run.stopInjectionToDrain = true
                run.seed = UInt64(s)
                let t0 = Date()
                let p = try run.run(&e)
                guard p.drained else { throw DeliveryError(problems: ["seed \(s): packets still in flight 200000 cycles after injection stopped (deadlock?)"]) }
                print(String(format: "  seed %2d: %d packets delivered exactly once and in order, accepted %.3f flits/node/cycle, drained; %.1f s", s, p.packets, p.accepted, Date().timeIntervalSince(t0)))
            }
        }
    }
}

/// A small SVG line chart: latency (left axis) and accepted throughput (right) against offered load.
enum SVGPlot {
    static func loadLatency(_ pts: [TrafficPoint], title: String) -> String {
        let w = 640.0, h = 400.0, l = 60.0, r = 60.0, t = 40.0, b = 50.0
        let maxX = max(pts.map(\.offered).max() ?? 1, 0.01)
        let lat = pts.filter(\.drained).map(\.meanLatency)
        let maxL = max((lat.max() ?? 10) * 1.1, 10)
        let maxA = max(maxX, pts.map(\.accepted).max() ?? 0) * 1.05
        func px(_ x: Double) -> Double { l + x / maxX * (w - l - r) }
        func pyL(_ y: Double) -> Double { h - b - min(y, maxL) / maxL * (h - t - b) }
        func pyA(_ y: Double) -> Double { h - b - y / maxA * (h - t - b) }
        func poly(_ ps: [(Double, Double)], _ color: String) -> String {
            "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(ps.map { String(format: "%.1f,%.1f", $0.0, $0.1) }.joined(separator: " "))\"/>\n"
                + ps.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"\(color)\"/>", $0.0, $0.1) }.joined(separator: "\n") + "\n"
        }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        s += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        s += "<text x=\"\(Int(w / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(title)</text>\n"
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", l, h - b, w - r, h - b)
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", l, t, l, h - b)
        s += String(format: "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"black\"/>\n", w - r, t, w - r, h - b)
        for k in 0 ... 5 {
            let x = maxX * Double(k) / 5
            s += String(format: "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%.2f</text>\n", px(x), h - b + 18, x)
            s += String(format: "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#c0392b\">%.0f</text>\n", l - 6, pyL(maxL * Double(k) / 5) + 4, maxL * Double(k) / 5)
            s += String(format: "<text x=\"%.0f\" y=\"%.1f\" fill=\"#2471a3\">%.2f</text>\n", w - r + 6, pyA(maxA * Double(k) / 5) + 4, maxA * Double(k) / 5)
        }
        s += "<text x=\"\(Int(w / 2))\" y=\"\(Int(h - 10))\" text-anchor=\"middle\">offered load (flits/node/cycle)</text>\n"
        s += "<text x=\"15\" y=\"\(Int(h / 2))\" transform=\"rotate(-90 15 \(Int(h / 2)))\" text-anchor=\"middle\" fill=\"#c0392b\">mean latency (cycles)</text>\n"
        s += "<text x=\"\(Int(w - 12))\" y=\"\(Int(h / 2))\" transform=\"rotate(90 \(Int(w - 12)) \(Int(h / 2)))\" text-anchor=\"middle\" fill=\"#2471a3\">accepted (flits/node/cycle)</text>\n"
        s += poly(pts.filter(\.drained).map { (px($0.offered), pyL($0.meanLatency)) }, "#c0392b")
        s += poly(pts.map { (px($0.offered), pyA($0.accepted)) }, "#2471a3")
        return s + "</svg>\n"
    }
}
