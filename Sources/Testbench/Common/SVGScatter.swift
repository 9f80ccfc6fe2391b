import Foundation

extension SVGPlot {
    /// One point of a scatter panel: its label is drawn beside it, its title is its tooltip.
    public struct ScatterPoint: Sendable, Hashable {
        public var x: Double, y: Double
        public var label: String, title: String
        /// Drawn filled in red and connected with the other highlighted points (a Pareto front).
        public var highlighted: Bool
        public init(x: Double, y: Double, label: String, title: String, highlighted: Bool) {
            (self.x, self.y, self.label, self.title, self.highlighted) = (x, y, label, title, highlighted)
        }
    }

    public struct ScatterPanel: Sendable, Hashable {
        public var xLabel: String, yLabel: String
        public var points: [ScatterPoint]
        public init(xLabel: String, yLabel: String, points: [ScatterPoint]) {
            (self.xLabel, self.yLabel, self.points) = (xLabel, yLabel, points)
        }
    }

    /// An axis over `values`: logarithmic (whole decades) when they are positive and span a
    /// factor of 10 or more, otherwise linear with a margin.
    struct Axis {
        var lo: Double, hi: Double, log: Bool

        init(_ values: [Double]) {
            let mn = values.min() ?? 0, mx = values.max() ?? 1
            if mn > 0 && mx / mn >= 10 {
                (lo, hi, log) = (pow(10, floor(log10(mn))), pow(10, ceil(log10(mx))), true)
            } else {
                let pad = mx > mn ? (mx - mn) * 0.08 : max(abs(mx) * 0.1, 1)
                (lo, hi, log) = (mn - pad, mx + pad, false)
            }
        }

        /// Where `v` falls, 0 (low end) ... 1 (high end).
        func fraction(_ v: Double) -> Double { log ? log10(v / lo) / log10(hi / lo) : (v - lo) / (hi - lo) }

        var ticks: [Double] {
            if log {
                let decades = Int(log10(hi / lo).rounded())
                let steps: [Double] = decades <= 2 ? [1, 2, 5] : [1]
                return (0 ... decades).flatMap { d in steps.map { lo * pow(10, Double(d)) * $0 } }.filter { $0 <= hi * 1.0001 }
            }
            return (0 ... 4).map { lo + (hi - lo) * Double($0) / 4 }
        }
    }

    /// A number as a tick shows it: three significant digits, k / M / G for thousands and up.
    static func compact(_ v: Double) -> String {
        for (scale, suffix) in [(1e9, "G"), (1e6, "M"), (1e3, "k")] where abs(v) >= scale { return String(format: "%.3g", v / scale) + suffix }
        return String(format: "%.3g", v)
    }

    /// Scatter panels side by side under one title, each with its own axes.
    public static func scatter(_ panels: [ScatterPanel], title: String) -> String {
        let pw = 480.0, h = 420.0, l = 70.0, r = 24.0, t = 50.0, b = 50.0
        var s = header(width: pw * Double(max(panels.count, 1)), height: h, title: title)
        for (k, panel) in panels.enumerated() {
            let x0 = pw * Double(k)
            let ax = Axis(panel.points.map(\.x)), ay = Axis(panel.points.map(\.y))
            func px(_ v: Double) -> Double { x0 + l + ax.fraction(v) * (pw - l - r) }
            func py(_ v: Double) -> Double { h - b - ay.fraction(v) * (h - t - b) }
            s += "<g>\n"
            s += String(format: "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" stroke=\"black\"/>\n", x0 + l, t, pw - l - r, h - t - b)
            for v in ax.ticks {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", px(v), t, px(v), h - b)
                s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", px(v), h - b + 16, compact(v))
            }
            for v in ay.ticks {
                s += String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0 + l, py(v), x0 + pw - r, py(v))
                s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%@</text>\n", x0 + l - 5, py(v) + 4, compact(v))
            }
            let xl = escaped(panel.xLabel + (ax.log ? " (log)" : "")), yl = escaped(panel.yLabel + (ay.log ? " (log)" : ""))
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%@</text>\n", x0 + l + (pw - l - r) / 2, h - 12, xl)
            let yx = x0 + 16, yy = t + (h - t - b) / 2
            s += String(format: "<text x=\"%.1f\" y=\"%.1f\" transform=\"rotate(-90 %.1f %.1f)\" text-anchor=\"middle\">%@</text>\n", yx, yy, yx, yy, yl)
            // The line joins the highlighted points that no other highlighted point beats in
            // both of this panel's coordinates: a staircase, lowest x first.
            let marked = panel.points.filter(\.highlighted)
            let front = zip(marked, Pareto.front(marked.map { [$0.x, $0.y] })).filter(\.1).map(\.0).sorted { ($0.x, $0.y) < ($1.x, $1.y) }
            if front.count > 1 {
                s += "<polyline fill=\"none\" stroke=\"#c0392b\" stroke-width=\"1.5\" stroke-dasharray=\"5,3\" points=\""
                    + front.map { String(format: "%.1f,%.1f", px($0.x), py($0.y)) }.joined(separator: " ") + "\"/>\n"
            }
            // Points drawn at the same place share one label ("1,2").
            var labels: [String: [ScatterPoint]] = [:], order: [String] = []
            for p in panel.points {
                let (fill, stroke) = p.highlighted ? ("#c0392b", "#c0392b") : ("white", "#7f8c8d")
                let at = String(format: "%.1f,%.1f", px(p.x), py(p.y))
                s += String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4\" fill=\"%@\" stroke=\"%@\"><title>%@</title></circle>\n",
                            px(p.x), py(p.y), fill, stroke, escaped(p.title))
                if labels[at] == nil { order.append(at) }
                labels[at, default: []].append(p)
            }
            for at in order {
                let ps = labels[at] ?? []
                let color = ps.contains(where: \.highlighted) ? "#c0392b" : "#7f8c8d"
                s += String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"10\" fill=\"%@\">%@</text>\n", px(ps[0].x) + 5, py(ps[0].y) - 5, color,
                            escaped(ps.map(\.label).joined(separator: ",")))
            }
            s += "</g>\n"
        }
        return s + "</svg>\n"
    }
}
