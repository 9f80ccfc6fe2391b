import Foundation
import SpikeForgeCore

/// The collected sweep: one row per point, the Pareto front over (cycles per image, SRAM bits,
/// energy per image), all minimised, and the outputs `sweep.csv`, `sweep.svg` and the table.
/// Every output is a function of the point files alone (no times), so a sweep run point by
/// point gives the same bytes as one run at once.
public struct SweepReport: Sendable {
    public var spec: SweepSpec
    public var results: [SweepPointResult]
    /// Whether each result is on the Pareto front.
    public var front: [Bool]

    public init(spec: SweepSpec, results: [SweepPointResult]) {
        self.spec = spec
        self.results = results
        front = Pareto.front(results.map(Self.objectives))
    }

    /// What the front minimises: inference cycles per image (mean), SRAM bits of the system and,
    /// when the engine counted events (the cycle model), energy per image.
    public static func objectives(_ r: SweepPointResult) -> [Double] {
        [r.summary.inferenceMean, Double(r.sramBits)] + (r.summary.energyNJ.map { [$0] } ?? [])
    }

    static func f1(_ v: Double) -> String { String(format: "%.1f", v) }
    static func f2(_ v: Double) -> String { String(format: "%.2f", v) }
    static func accuracy(_ s: SimulationRun.Summary) -> Double { 100 * Double(s.correct) / Double(max(s.images, 1)) }

    public static let csvColumns = ["mesh", "policy", "tiles", "activeTiles", "sramBits", "cyclesMean", "cyclesP99", "resetMean", "readBackMean", "totalMean",
                                    "totalP99", "boundRatio", "flitHopsPerImage", "energyNJPerImage", "accuracy", "integerAccuracy", "images", "pareto"]

    /// `point`, each swept field, then `csvColumns`; one line per point in point order,
    /// newline-terminated. Flit-hops and energy are empty when the engine counted no events.
    public func csv() -> String {
        var lines = [(["point"] + spec.parameters.map(\.field) + Self.csvColumns).joined(separator: ",")]
        for (r, pareto) in zip(results, front) {
            let s = r.summary
            let values = r.point.settings.map { String($0.split(separator: "=", maxSplits: 1).last ?? "") }
            lines.append(([String(r.point.index)] + values + [
                "\(r.cols)x\(r.rows)", r.point.policy, String(r.cols * r.rows), String(r.activeTiles), String(r.sramBits),
                Self.f2(s.inferenceMean), String(s.inferenceP99), Self.f2(s.resetMean), Self.f2(s.readBackMean), Self.f2(s.totalMean), String(s.totalP99),
                String(format: "%.3f", s.boundRatio), s.flitHops.map(Self.f2) ?? "", s.energyNJ.map { String(format: "%.3f", $0) } ?? "",
                Self.f2(Self.accuracy(s)), Self.f2(100 * Double(s.integerCorrect) / Double(max(s.images, 1))), String(s.images), pareto ? "yes" : "no",
            ]).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The table `spikeforge sweep` prints: a `*` marks the Pareto front.
    public func table() -> String {
        var rows = [["#"] + spec.parameters.map(\.field) + ["mesh", "policy", "active", "SRAM kbit", "cycles", "p99", "total", "bound x", "hops", "nJ/image", "acc %", "pareto"]]
        for (r, pareto) in zip(results, front) {
            let s = r.summary
            rows.append([String(r.point.index)] + r.point.settings.map { String($0.split(separator: "=", maxSplits: 1).last ?? "") } + [
                "\(r.cols)x\(r.rows)", r.point.policy, "\(r.activeTiles)/\(r.cols * r.rows)", String(format: "%.0f", Double(r.sramBits) / 1024),
                Self.f1(s.inferenceMean), String(s.inferenceP99), Self.f1(s.totalMean), Self.f2(s.boundRatio), s.flitHops.map(Self.f1) ?? "-",
                s.energyNJ.map(Self.f1) ?? "-", Self.f2(Self.accuracy(s)), pareto ? "*" : "",
            ])
        }
        return Table.render(rows)
    }

    /// Cycles per image against SRAM bits and, when counted, against energy per image: one
    /// panel each, every point labelled with its number, the front filled and connected.
    public func svg() -> String {
        func points(_ x: (SweepPointResult) -> Double?) -> [SVGPlot.ScatterPoint] {
            zip(results, front).compactMap { r, pareto in
                x(r).map { SVGPlot.ScatterPoint(x: $0, y: r.summary.inferenceMean, label: String(r.point.index),
                                                 title: "point \(r.point.index): \(r.point.settings.joined(separator: " ")) mesh \(r.cols)x\(r.rows) \(r.point.policy)",
                                                 highlighted: pareto) }
            }
        }
        var panels = [SVGPlot.ScatterPanel(xLabel: "SRAM bits (all tiles)", yLabel: "inference cycles per image (mean)", points: points { Double($0.sramBits) })]
        if results.allSatisfy({ $0.summary.energyNJ != nil }) {
            panels.append(SVGPlot.ScatterPanel(xLabel: "estimated energy per image (nJ)", yLabel: "inference cycles per image (mean)", points: points { $0.summary.energyNJ }))
        }
        let objectives = panels.count == 2 ? "cycles, SRAM bits, energy" : "cycles, SRAM bits"
        return SVGPlot.scatter(panels, title: "spikeforge sweep: \(results.count) points; Pareto front (\(objectives), minimised) in red")
    }

    /// `sweep.csv` and `sweep.svg`.
    public func files() -> [(name: String, contents: Data)] { [("sweep.csv", Data(csv().utf8)), ("sweep.svg", Data(svg().utf8))] }
}
