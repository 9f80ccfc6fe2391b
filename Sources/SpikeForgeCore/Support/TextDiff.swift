import Foundation

/// A line diff in unified format (`@@ -a,b +c,d @@` hunks with 3 lines of context). The common
/// head and tail are stripped first; the rest is diffed by longest common subsequence, or shown
/// as one replaced block when it is too large for that.
enum TextDiff {
    static let context = 3
    static let maxCells = 4_000_000
    /// Lines printed per file at most; the rest is summarized.
    static let maxLines = 300

    enum Op: Equatable { case same, del, ins }

    static func unified(_ a: [Substring], _ b: [Substring]) -> [String] {
        let ops = script(a, b)
        // Positions in a and b before each op.
        var ia = [0], ib = [0]
        for op in ops {
            ia.append(ia.last! + (op == .ins ? 0 : 1))
            ib.append(ib.last! + (op == .del ? 0 : 1))
        }
        var out: [String] = []
        var k = 0
        while k < ops.count {
            guard ops[k] != .same else { k += 1; continue }
            // A hunk: from `context` before this change to `context` after the last change that
            // is at most 2 * context unchanged lines from the next one.
            let start = max(0, k - context)
            var end = k
            var j = k
            while j < ops.count {
                if ops[j] != .same { end = j; j += 1; continue }
                var run = 0
                while j + run < ops.count && ops[j + run] == .same { run += 1 }
                if j + run == ops.count || run > 2 * context { break }
                j += run
            }
            let stop = min(ops.count, end + 1 + context)
            let na = (start ..< stop).filter { ops[$0] != .ins }.count
            let nb = (start ..< stop).filter { ops[$0] != .del }.count
            out.append("@@ -\(ia[start] + (na > 0 ? 1 : 0)),\(na) +\(ib[start] + (nb > 0 ? 1 : 0)),\(nb) @@")
            for i in start ..< stop {
                switch ops[i] {
                case .same: out.append(" " + a[ia[i]])
                case .del: out.append("-" + a[ia[i]])
                case .ins: out.append("+" + b[ib[i]])
                }
            }
            k = stop
        }
        if out.count > maxLines { return Array(out.prefix(maxLines)) + ["... \(out.count - maxLines) more diff lines"] }
        return out
    }

    /// The edit script turning `a` into `b`.
    static func script(_ a: [Substring], _ b: [Substring]) -> [Op] {
        var head = 0
        while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
        var tail = 0
        while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
        let x = Array(a[head ..< a.count - tail]), y = Array(b[head ..< b.count - tail])
        var middle: [Op]
        if x.count * y.count > maxCells {
            middle = Array(repeating: .del, count: x.count) + Array(repeating: .ins, count: y.count)
        } else {
            // lcs[i][j]: LCS length of x[i...] and y[j...].
            let w = y.count + 1
            var lcs = [Int32](repeating: 0, count: (x.count + 1) * w)
            for i in stride(from: x.count - 1, through: 0, by: -1) {
                for j in stride(from: y.count - 1, through: 0, by: -1) {
                    lcs[i * w + j] = x[i] == y[j] ? lcs[(i + 1) * w + j + 1] + 1 : max(lcs[(i + 1) * w + j], lcs[i * w + j + 1])
                }
            }
            middle = []
            var i = 0, j = 0
            while i < x.count || j < y.count {
                if i < x.count && j < y.count && x[i] == y[j] {
                    middle.append(.same); i += 1; j += 1
                } else if i < x.count && (j == y.count || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
                    middle.append(.del); i += 1
                } else {
                    middle.append(.ins); j += 1
                }
            }
        }
        return Array(repeating: .same, count: head) + middle + Array(repeating: .same, count: tail)
    }
}
