import Foundation

/// Small SVG charts: `loadLatency` (noc sweep) and `scatter` (sweep).
public enum SVGPlot {
    /// The opening tag, a white background and the title.
    static func header(width w: Double, height h: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"\(Int(h))\" font-family=\"sans-serif\" font-size=\"12\">\n"
            + "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
            + "<text x=\"\(Int(w / 2))\" y=\"20\" text-anchor=\"middle\" font-size=\"14\">\(escaped(title))</text>\n"
    }

    /// `text` with XML's special characters escaped.
    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
            .replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// A line chart: latency (left axis) and accepted throughput (right) against offered load.
    public static func loadLatency(_ pts: [TrafficPoint], title: String) -> String {
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
        var s = header(width: w, height: h, title: title)
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
