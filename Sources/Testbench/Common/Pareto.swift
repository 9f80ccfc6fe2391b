/// Pareto dominance with every objective minimised (`sweep`'s front, the sweep chart's lines).
public enum Pareto {
    /// Whether `a` dominates `b`: no worse in every objective and better in at least one.
    public static func dominates(_ a: [Double], _ b: [Double]) -> Bool {
        zip(a, b).allSatisfy { $0 <= $1 } && zip(a, b).contains { $0 < $1 }
    }

    /// Whether each point is on the front: dominated by no other point (equal points are all on it).
    public static func front(_ points: [[Double]]) -> [Bool] {
        points.map { p in !points.contains { dominates($0, p) } }
    }
}
