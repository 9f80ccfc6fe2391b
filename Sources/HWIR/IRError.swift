/// One problem in a design, with the module and the generator source line it comes from.
public enum IRError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidName(module: String, name: String, reason: String, at: SourceLoc)
    case duplicateName(module: String, name: String, at: SourceLoc)
    case undeclared(module: String, name: String, at: SourceLoc)
    case badType(module: String, name: String, type: HWType, at: SourceLoc)
    case widthMismatch(module: String, context: String, expected: HWType, got: HWType, at: SourceLoc)
    case badOperand(module: String, context: String, reason: String, at: SourceLoc)
    case undriven(module: String, signal: String, kind: String, at: SourceLoc)
    case multipleDrivers(module: String, signal: String, at: [SourceLoc])
    case drivesInput(module: String, port: String, at: SourceLoc)
    case combinationalLoop(module: String, path: [String])
    case noClock(module: String, what: String, at: SourceLoc)
    case badMemory(module: String, memory: String, reason: String, at: SourceLoc)
    case unknownModule(module: String, instance: String, child: String, at: SourceLoc)
    case badConnection(module: String, instance: String, port: String, reason: String, at: SourceLoc)
    case conflictingModule(name: String)
    case missingTop(top: String)
    case recursiveInstance(path: [String])

    public var description: String {
        switch self {
        case let .invalidName(m, n, r, at): return "\(m): name '\(n)' \(r) (at \(at))"
        case let .duplicateName(m, n, at): return "\(m): '\(n)' is declared twice (at \(at))"
        case let .undeclared(m, n, at): return "\(m): '\(n)' is not declared (at \(at))"
        case let .badType(m, n, t, at): return "\(m): '\(n)' has type \(t); widths must be 1...4096 (at \(at))"
        case let .widthMismatch(m, c, e, g, at): return "\(m): width mismatch in \(c): got \(g), expected \(e) (at \(at))"
        case let .badOperand(m, c, r, at): return "\(m): \(c): \(r) (at \(at))"
        case let .undriven(m, s, k, at): return "\(m): \(k) '\(s)' is never driven (declared at \(at))"
        case let .multipleDrivers(m, s, at): return "\(m): '\(s)' has \(at.count) drivers (at \(at.map(\.description).joined(separator: ", ")))"
        case let .drivesInput(m, p, at): return "\(m): input port '\(p)' is driven inside the module (at \(at))"
        case let .combinationalLoop(m, path): return "\(m): combinational loop \(path.joined(separator: " -> "))"
        case let .noClock(m, w, at): return "\(m): \(w) needs a clock, but the module declares none (at \(at))"
        case let .badMemory(m, mem, r, at): return "\(m): memory '\(mem)': \(r) (at \(at))"
        case let .unknownModule(m, i, c, at): return "\(m): instance '\(i)' of unknown module '\(c)' (at \(at))"
        case let .badConnection(m, i, p, r, at): return "\(m): instance '\(i)' port '\(p)': \(r) (at \(at))"
        case let .conflictingModule(n): return "two different modules are both named '\(n)'"
        case let .missingTop(t): return "top module '\(t)' is not in the design"
        case let .recursiveInstance(path): return "module instantiates itself: \(path.joined(separator: " -> "))"
        }
    }
}

/// Every problem found in a design, in a stable order.
public struct IRValidationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var errors: [IRError]
    public init(errors: [IRError]) { self.errors = errors }
    public var description: String {
        "invalid design (\(errors.count) error\(errors.count == 1 ? "" : "s")):\n" + errors.map { "  - \($0)" }.joined(separator: "\n")
    }
}
