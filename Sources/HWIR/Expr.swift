public enum UnaryOp: String, Hashable, Sendable {
    case not, neg, reduceAnd, reduceOr, reduceXor
}

public enum BinaryOp: String, Hashable, Sendable {
    case add, sub, mul, and, or, xor
    case eq, ne, lt, le, gt, ge
    case shl, shrLogical, shrArith

    public var isComparison: Bool { [.eq, .ne, .lt, .le, .gt, .ge].contains(self) }
    public var isShift: Bool { [.shl, .shrLogical, .shrArith].contains(self) }
}

/// A typed, side-effect-free expression. Every node knows its result type; whether the operand
/// types fit is checked by `Design.validate()`, which reports every problem with its place.
public indirect enum Expr: Hashable, Sendable {
    /// A port, wire, register or memory read port, with the type it was declared with.
    case ref(String, HWType)
    /// A constant. `bits` is the two's-complement pattern of the low `min(width, 64)` bits;
    /// wider constants extend it by the type's signedness.
    case constant(bits: UInt64, HWType)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case mux(Expr, Expr, Expr)
    /// Most significant part first, as in Verilog. Result unsigned.
    case concat([Expr])
    /// Bits `hi...lo`. Result unsigned.
    case slice(Expr, hi: Int, lo: Int)
    /// Sign- or zero-extends by the operand's signedness, or truncates; keeps signedness.
    case resize(Expr, width: Int)
    /// Reinterprets the same bits as signed or unsigned.
    case cast(Expr, signed: Bool)
    /// Asynchronous (combinational) read of a memory.
    case memRead(memory: String, address: Expr, HWType)

    public var type: HWType {
        switch self {
        case let .ref(_, t), let .constant(_, t), let .memRead(_, _, t): return t
        case let .unary(op, e):
            switch op {
            case .not, .neg: return e.type
            case .reduceAnd, .reduceOr, .reduceXor: return .bool
            }
        case let .binary(op, l, _): return op.isComparison ? .bool : l.type
        case let .mux(_, a, _): return a.type
        case let .concat(es): return .uint(es.reduce(0) { $0 + $1.type.width })
        case let .slice(_, hi, lo): return .uint(hi - lo + 1)
        case let .resize(e, w): return HWType(width: w, signed: e.type.signed)
        case let .cast(e, s): return HWType(width: e.type.width, signed: s)
        }
    }

    /// Every signal this expression reads, in first-use order.
    public var references: [String] {
        var out: [String] = []
        collectRefs(into: &out)
        return out
    }

    func collectRefs(into out: inout [String]) {
        switch self {
        case let .ref(n, _): out.append(n)
        case .constant: break
        case let .unary(_, e), let .slice(e, _, _), let .resize(e, _), let .cast(e, _): e.collectRefs(into: &out)
        case let .binary(_, l, r):
            l.collectRefs(into: &out)
            r.collectRefs(into: &out)
        case let .mux(c, a, b):
            c.collectRefs(into: &out)
            a.collectRefs(into: &out)
            b.collectRefs(into: &out)
        case let .concat(es): for e in es { e.collectRefs(into: &out) }
        case let .memRead(_, a, _): a.collectRefs(into: &out)
        }
    }

    // MARK: Construction helpers

    /// A constant of type `t` holding the integer `v` (two's complement for negative values).
    public static func lit(_ v: Int, _ t: HWType) -> Expr { .constant(bits: UInt64(bitPattern: Int64(v)) & lowMask(t.width), t) }
    public static func lit(bits: UInt64, _ t: HWType) -> Expr { .constant(bits: bits & lowMask(t.width), t) }
    public static let one = Expr.lit(1, .bool)
    public static let zero = Expr.lit(0, .bool)

    public static func lowMask(_ w: Int) -> UInt64 { w >= 64 ? ~0 : (UInt64(1) << UInt64(w)) &- 1 }

    public func eq(_ o: Expr) -> Expr { Self.compare(.eq, self, o) }
    public func ne(_ o: Expr) -> Expr { Self.compare(.ne, self, o) }
    public func lt(_ o: Expr) -> Expr { Self.compare(.lt, self, o) }
    public func le(_ o: Expr) -> Expr { Self.compare(.le, self, o) }
    public func gt(_ o: Expr) -> Expr { Self.compare(.gt, self, o) }
    public func ge(_ o: Expr) -> Expr { Self.compare(.ge, self, o) }

    /// The constant's value as an unsigned number, for unsigned constants up to 64 bits.
    var unsignedConstant: UInt64? {
        if case let .constant(bits, t) = self, !t.signed, t.width <= 64 { return bits }
        return nil
    }

    /// Builds a comparison, folding the ones that are constant because an unsigned operand is
    /// compared with 0 or with its maximum (`x < 0`, `0 <= x`, `x <= max`...), or both operands
    /// are constants. Verilog tools warn on such comparisons, and generators produce them
    /// naturally at the corners of a parameter range (a 1 x 1 mesh, say).
    static func compare(_ op: BinaryOp, _ l: Expr, _ r: Expr) -> Expr {
        guard l.type == r.type, !l.type.signed, l.type.width <= 64 else { return .binary(op, l, r) }
        let maxV = lowMask(l.type.width)
        if let a = l.unsignedConstant, let b = r.unsignedConstant {
            let v: Bool
            switch op {
            case .eq: v = a == b
            case .ne: v = a != b
            case .lt: v = a < b
            case .le: v = a <= b
            case .gt: v = a > b
            default: v = a >= b
            }
            return v ? .one : .zero
        }
        switch (op, l.unsignedConstant, r.unsignedConstant) {
        case (.lt, _, 0?), (.gt, 0?, _), (.gt, _, maxV?), (.lt, maxV?, _): return .zero
        case (.ge, _, 0?), (.le, 0?, _), (.le, _, maxV?), (.ge, maxV?, _): return .one
        default: return .binary(op, l, r)
        }
    }
    /// Compares with a constant of this expression's own type.
    public func eq(_ v: Int) -> Expr { eq(.lit(v, type)) }
    public func ne(_ v: Int) -> Expr { ne(.lit(v, type)) }

    public func resized(_ w: Int) -> Expr { w == type.width ? self : .resize(self, width: w) }
    public var asSigned: Expr { type.signed ? self : .cast(self, signed: true) }
    public var asUnsigned: Expr { type.signed ? .cast(self, signed: false) : self }
    public func bit(_ i: Int) -> Expr { .slice(self, hi: i, lo: i) }
    public func bits(_ hi: Int, _ lo: Int) -> Expr { .slice(self, hi: hi, lo: lo) }
    public var msb: Expr { bit(type.width - 1) }
    public var any: Expr { .unary(.reduceOr, self) }
    public var all: Expr { .unary(.reduceAnd, self) }

    /// `cond ? self : other`.
    /// Folds a constant condition and identical arms.
    public func when(_ cond: Expr, else other: Expr) -> Expr {
        if cond == .one { return self }
        if cond == .zero || self == other { return other }
        return .mux(cond, self, other)
    }

    public static func + (l: Expr, r: Expr) -> Expr { .binary(.add, l, r) }
    public static func - (l: Expr, r: Expr) -> Expr { .binary(.sub, l, r) }
    public static func * (l: Expr, r: Expr) -> Expr { .binary(.mul, l, r) }
    /// One-bit `&` and `|` fold constant operands.
    public static func & (l: Expr, r: Expr) -> Expr {
        if l.type == .bool && r.type == .bool {
            if l == .zero || r == .zero { return .zero }
            if l == .one { return r }
            if r == .one { return l }
        }
        return .binary(.and, l, r)
    }
    public static func | (l: Expr, r: Expr) -> Expr {
        if l.type == .bool && r.type == .bool {
            if l == .one || r == .one { return .one }
            if l == .zero { return r }
            if r == .zero { return l }
        }
        return .binary(.or, l, r)
    }
    public static func ^ (l: Expr, r: Expr) -> Expr { .binary(.xor, l, r) }
    public static func << (l: Expr, r: Expr) -> Expr { .binary(.shl, l, r) }
    /// Logical shift for unsigned operands, arithmetic for signed ones.
    public static func >> (l: Expr, r: Expr) -> Expr { .binary(l.type.signed ? .shrArith : .shrLogical, l, r) }
    public static prefix func ~ (e: Expr) -> Expr {
        if e == .one { return .zero }
        if e == .zero { return .one }
        return .unary(.not, e)
    }
    public static prefix func - (e: Expr) -> Expr { .unary(.neg, e) }
    /// `a + k` with a constant of `a`'s type.
    public static func + (l: Expr, r: Int) -> Expr { l + .lit(r, l.type) }
    public static func - (l: Expr, r: Int) -> Expr { l - .lit(r, l.type) }
}
