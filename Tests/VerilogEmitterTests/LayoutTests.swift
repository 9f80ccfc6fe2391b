import HWIR
import Testing
import VerilogEmitter

/// The emitter's layout rules: literal radix, declaration columns, and the optional Swift
/// source annotations.
@Suite struct LayoutTests {
    static func emit(_ b: ModuleBuilder, _ options: EmitOptions = .init()) throws -> String {
        let m = b.build()
        return try VerilogEmitter.emit(Design(top: m.name, modules: [m]), version: "1", options: options)[0].contents
    }

    @Test func masksAndBitPatternsAreHexNumbersDecimal() throws {
        let b = ModuleBuilder("Lits")
        let x = b.input("x", .uint(16))
        let n = b.input("n", .uint(4))
        b.output("lowByte", x & Expr.lit(0xFF, .uint(16)))
        b.output("flip", x ^ Expr.lit(0xA5A5, .uint(16)))
        b.output("set", x | Expr.lit(1, .uint(16)))
        b.output("ones", Expr.lit(0xFFFF, .uint(16)) << n.resized(16))
        b.output("allOnes", Expr.lit(1023, .uint(10)))
        b.output("inc", x + Expr.lit(1, .uint(16)))
        b.output("big", x.lt(Expr.lit(1000, .uint(16))))
        b.output("zero", x.eq(0))
        b.output("small", n & Expr.lit(3, .uint(4)))
        b.output("neg", Expr.lit(-32, .sint(9)))
        b.output("wide", Expr.lit(bits: 0xFF, .uint(72)) & Expr.lit(0, .uint(72)).resized(72) | x.resized(72))
        let v = try Self.emit(b)
        #expect(v.contains("assign lowByte = x & 16'h00ff;"))
        #expect(v.contains("assign flip = x ^ 16'ha5a5;"))
        #expect(v.contains("assign set = x | 16'h0001;"))
        #expect(v.contains("assign ones = 16'hffff << {12'd0, n};"))
        #expect(v.contains("assign allOnes = 10'h3ff;"))
        #expect(v.contains("assign inc = x + 16'd1;"))
        #expect(v.contains("assign big = x < 16'd1000;"))
        #expect(v.contains("assign zero = x == 16'd0;"))
        #expect(v.contains("assign small = n & 4'd3;"), "4 bits and narrower stay decimal")
        #expect(v.contains("assign neg = -9'sd32;"), "signed values stay decimal")
        #expect(v.contains("72'h0000000000000000ff & 72'd0"), "zero stays decimal; hex pads to the full width")
    }

    @Test func declarationsAlignInColumns() throws {
        let b = ModuleBuilder("Cols")
        b.clock()
        b.reset()
        let a = b.input("a", .sint(8))
        let w = b.node("sum_wide", a.resized(12) + Expr.lit(3, .sint(12)))
        let f = b.node("flag", w.msb)
        let r = b.reg("count_q", .uint(4))
        b.next(r, r + 1, when: f)
        let mem = b.memory("store", width: 16, depth: 4)
        b.write(mem, when: f, address: r.bits(1, 0), data: w.asUnsigned.resized(16))
        let q = b.syncRead(mem, when: .one, address: r.bits(1, 0), into: "store_q")
        let u = b.wire("spare", .uint(3))
        b.assign(u, r.bits(2, 0))
        b.allowUnused(u, because: "kept for debug")
        b.output("y", q)
        let v = try Self.emit(b)
        #expect(v.contains("""
                wire signed [11:0] sum_wide;
                wire               flag;
                /* verilator lint_off UNUSEDSIGNAL */
                wire [2:0]         spare;  // unused: kept for debug
                /* verilator lint_on UNUSEDSIGNAL */
                reg  [3:0]         count_q;
                reg  [15:0]        store_q;
                reg  [15:0]        store [0:3];
            """))
    }

    @Test func sourceLocationsAreOptInAndPointAtTheGenerator() throws {
        func make() -> (ModuleBuilder, (Int, Int, Int)) {
            let b = ModuleBuilder("Loc")
            b.clock()
            b.reset()
            let a = b.input("a", .uint(8))
            let r = b.reg("acc_q", .uint(8)); let regLine = #line
            b.next(r, r + a); let nextLine = #line
            b.output("y", r); let outLine = #line
            return (b, (regLine, nextLine, outLine))
        }
        let plain = try Self.emit(make().0)
        #expect(!plain.contains("@["), "off by default: the reference output has no annotations")
        let v = try Self.emit(make().0, EmitOptions(sourceLocations: true))
        let (regLine, nextLine, outLine) = make().1
        #expect(v.contains("reg  [7:0] acc_q;  // @[LayoutTests.swift \(regLine)]"))
        #expect(v.contains("acc_q <= 8'd0;  // @[LayoutTests.swift \(regLine)]"))
        #expect(v.contains("acc_q <= acc_q + a;  // @[LayoutTests.swift \(nextLine)]"))
        #expect(v.contains("assign y = acc_q;  // @[LayoutTests.swift \(outLine)]"))
        // Same design and options, same bytes.
        #expect(try Self.emit(make().0, EmitOptions(sourceLocations: true)) == v)
        // Only comments differ.
        let strip = { (s: String) in s.split(separator: "\n").map { l in l.firstRange(of: "  // @[").map { String(l[..<$0.lowerBound]) } ?? String(l) } }
        #expect(strip(v).map { $0.replacingOccurrences(of: " ", with: "") } == strip(plain).map { $0.replacingOccurrences(of: " ", with: "") })
    }

    @Test func instancesCarryTheirLocation() throws {
        let child = ModuleBuilder("Child")
        child.output("y", child.input("x", .bool))
        let c = child.build()
        let b = ModuleBuilder("Parent")
        let x = b.input("x", .bool)
        let o = b.instance("u_child", of: c, inputs: ["x": x]); let line = #line
        b.output("y", o["y"]!)
        let v = try VerilogEmitter.emit(Design(top: "Parent", modules: [c, b.build()]), version: "1", options: EmitOptions(sourceLocations: true))[1].contents
        #expect(v.contains("    Child u_child (  // @[LayoutTests.swift \(line)]\n"))
    }
}
