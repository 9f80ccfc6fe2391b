/// A hardware value type: a bit width and a signedness. The IR never infers widths the way
/// Verilog does; every operator states its operand and result types exactly.
public struct HWType: Hashable, Sendable, Codable, CustomStringConvertible {
    public var width: Int
    public var signed: Bool

    public init(width: Int, signed: Bool) {
        self.width = width
        self.signed = signed
    }

    public static func uint(_ w: Int) -> HWType { HWType(width: w, signed: false) }
    public static func sint(_ w: Int) -> HWType { HWType(width: w, signed: true) }
    public static let bool = HWType.uint(1)

    public var description: String { "\(signed ? "s" : "u")\(width)" }
}

/// Where in the generator's Swift source a piece of IR was built (Chisel's `SourceInfo`).
public struct SourceLoc: Hashable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    public static let unknown = SourceLoc(file: "?", line: 0)
    public var description: String { "\(file):\(line)" }
}
