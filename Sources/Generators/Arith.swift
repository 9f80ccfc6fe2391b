import HWIR
import SpikeForgeCore

/// Reusable IR arithmetic, shared by every generator that adds (neuron, PE, accumulator).
public enum Arith {
    /// Signed saturating addition of `a` and `b` (any signed widths) into `outWidth` bits.
    /// The exact sum is formed one bit wider than the wider operand, so it never wraps, then
    /// clamped. Returns the clamped sum and a flag that is 1 when clamping happened.
    public static func saturatingAdd(_ b: ModuleBuilder, _ x: Expr, _ y: Expr, outWidth: Int, name: String) -> (sum: Expr, saturated: Expr) {
        let w = max(x.type.width, y.type.width) + 1
        let exact = b.node("\(name)_exact", x.resized(w) + y.resized(w))
        if outWidth >= w { return (exact.resized(outWidth), .zero) }
        let hi = Int(Bits.signedRange(outWidth).upperBound), lo = Int(Bits.signedRange(outWidth).lowerBound)
        let maxV = Expr.lit(hi, .sint(w))
        let minV = Expr.lit(lo, .sint(w))
        let over = b.node("\(name)_over", exact.gt(maxV))
        let under = b.node("\(name)_under", exact.lt(minV))
        let clamped = Expr.lit(hi, .sint(outWidth))
            .when(over, else: Expr.lit(lo, .sint(outWidth))
                .when(under, else: exact.resized(outWidth)))
        return (clamped, over | under)
    }

    /// `p + 1`, wrapping to 0 after `limit - 1` (a modulo-`limit` counter step).
    public static func increment(_ p: Expr, modulo limit: Int) -> Expr {
        if limit == 1 << p.type.width { return p + 1 }
        return Expr.lit(0, p.type).when(p.eq(limit - 1), else: p + 1)
    }
}

/// Canonical, human-readable JSON of a configuration, for file headers.
func describe<C: Encodable>(_ c: C) -> String {
    (try? CanonicalJSONText.encode(c)) ?? "{}"
}
