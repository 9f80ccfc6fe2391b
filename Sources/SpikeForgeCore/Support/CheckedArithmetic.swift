/// Arithmetic on sizes that come from files or flags: every result is checked, so a huge field
/// gives an error at the caller instead of a trap or a wrapped-around allocation.
public enum CheckedArithmetic {
    /// The product of `factors`, or nil when it overflows `Int` or a factor is negative.
    public static func product(_ factors: [Int]) -> Int? {
        var p = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (r, overflow) = p.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            p = r
        }
        return p
    }
}
