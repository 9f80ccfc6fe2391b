import HWIR

/// Expressions, constants and types as Verilog text.
extension ModuleEmitter {

    func connection(_ e: Expr) -> String {
        switch e {
        case .ref, .constant: return expr(e, top: true)
        default: return selectable(e)
        }
    }

    func range(_ t: HWType) -> String { t.width == 1 ? "" : "[\(t.width - 1):0] " }
    /// `signed [w-1:0]` for declarations ("" for an unsigned bit).
    func typed(_ t: HWType) -> String {
        [t.signed ? "signed" : nil, t.width == 1 ? nil : "[\(t.width - 1):0]"].compactMap { $0 }.joined(separator: " ")
    }

    /// A literal. The radix says what the number is:
    /// - an unsigned constant wider than 4 bits prints in hex, zero-padded to its width
    ///   (`10'h3ff`, `16'h00ff`), when it is a bit pattern: all ones over its width (a mask),
    ///   or `pattern` is set because it is an operand of a bitwise `&`, `|`, `^` or the value
    ///   shifted by `<<`/`>>`;
    /// - every other constant is a number and prints in decimal: counts, indices, addresses,
    ///   compared and added values, zero (`16'd0`), and every signed value (`-9'sd32`);
    /// - a 1-bit constant prints as `1'b0` / `1'b1`.
    /// Up to 4 bits a hex digit says no more than the decimal one, so those stay decimal.
    func constant(_ bits: UInt64, _ t: HWType, pattern: Bool = false) -> String {
        let w = t.width
        if t.signed {
            let v = w >= 64 ? Int64(bitPattern: bits) : Int64(bitPattern: bits << UInt64(64 - w)) >> Int64(64 - w)
            return v < 0 ? "-\(w)'sd\(v.magnitude)" : "\(w)'sd\(v)"
        }
        if w == 1 { return "1'b\(bits)" }
        let mask = w <= 64 && bits == Expr.lowMask(w)
        if w > 4 && bits != 0 && (pattern || mask) {
            let digits = String(bits, radix: 16)
            return "\(w)'h" + String(repeating: "0", count: max(0, (w + 3) / 4 - digits.count)) + digits
        }
        return "\(w)'d\(bits)"
    }

    /// A name for `e` that can be bit-selected: the signal itself, or a hoisted temporary.
    func selectable(_ e: Expr) -> String {
        if case let .ref(n, _) = e { return n }
        if let t = tempIndex[e] { return t }
        let text = expr(e, top: true)
        let name = "_t\(temps.count)"
        temps.append((name, e.type, text))
        tempIndex[e] = name
        return name
    }

    /// `pattern`: `e` is used as a bit pattern (see `constant`); it only changes literals.
    func expr(_ e: Expr, top: Bool = false, pattern: Bool = false) -> String {
        func paren(_ s: String) -> String { top ? s : "(\(s))" }
        switch e {
        case let .ref(n, _): return n
        case let .constant(bits, t): return constant(bits, t, pattern: pattern)
        case let .unary(op, x):
            let sym = ["not": "~", "neg": "-", "reduceAnd": "&", "reduceOr": "|", "reduceXor": "^"][op.rawValue]!
            return paren("\(sym)\(expr(x))")
        case let .binary(op, l, r):
            let sym: String
            switch op {
            case .add: sym = "+"
            case .sub: sym = "-"
            case .mul: sym = "*"
            case .and: sym = "&"
            case .or: sym = "|"
            case .xor: sym = "^"
            case .eq: sym = "=="
            case .ne: sym = "!="
            case .lt: sym = "<"
            case .le: sym = "<="
            case .gt: sym = ">"
            case .ge: sym = ">="
            case .shl: sym = l.type.signed ? "<<<" : "<<"
            case .shrLogical: sym = ">>"
            case .shrArith: sym = ">>>"
            }
            let bitwise = op == .and || op == .or || op == .xor
            return paren("\(expr(l, pattern: bitwise || op.isShift)) \(sym) \(expr(r, pattern: bitwise))")
        case let .mux(c, a, b):
            return paren("\(expr(c)) ? \(expr(a)) : \(expr(b))")
        case let .concat(es):
            return es.count == 1 ? expr(es[0], top: top) : "{\(es.map { expr($0, top: true) }.joined(separator: ", "))}"
        case let .slice(x, hi, lo):
            if hi == x.type.width - 1 && lo == 0 && !x.type.signed { return expr(x, top: top) }
            let n = selectable(x)
            if x.type.width == 1 { return n }
            return hi == lo ? "\(n)[\(hi)]" : "\(n)[\(hi):\(lo)]"
        case let .resize(x, w):
            let xw = x.type.width
            if w == xw { return expr(x, top: top) }
            if case let .constant(bits, t) = x {
                // Fold: extend the pattern by signedness, then truncate.
                let v = t.signed && xw < 64 ? UInt64(bitPattern: Int64(bitPattern: bits << UInt64(64 - xw)) >> Int64(64 - xw)) : bits
                return constant(v & Expr.lowMask(w), HWType(width: w, signed: t.signed), pattern: pattern)
            }
            let inner: String
            if w < xw {
                let n = selectable(x)
                inner = w == 1 ? "\(n)[0]" : "\(n)[\(w - 1):0]"
            } else if x.type.signed {
                let n = selectable(x)
                let sign = xw == 1 ? n : "\(n)[\(xw - 1)]"
                inner = "{{\(w - xw){\(sign)}}, \(n)}"
            } else {
                inner = "{\(w - xw)'d0, \(expr(x, top: true))}"
            }
            return x.type.signed ? "$signed(\(inner))" : inner
        case let .cast(x, s):
            if x.type.signed == s { return expr(x, top: top) }
            return s ? "$signed(\(expr(x, top: true)))" : "$unsigned(\(expr(x, top: true)))"
        case let .memRead(mem, a, _):
            return "\(mem)[\(expr(a, top: true))]"
        }
    }
}
