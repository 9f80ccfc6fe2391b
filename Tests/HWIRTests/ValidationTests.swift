import HWIR
import Testing

/// Invalid IR is rejected with typed errors that name the place; every error is reported.
@Suite struct ValidationTests {
    func errors(_ build: (ModuleBuilder) -> Void, extra: [Module] = []) -> [IRError] {
        let b = ModuleBuilder("M")
        build(b)
        let d = Design(top: "M", modules: [b.build()] + extra)
        do {
            try d.validate()
            return []
        } catch {
            return error.errors
        }
    }

    @Test func validModulePasses() throws {
        let b = ModuleBuilder("Ok")
        b.clock()
        b.reset()
        let a = b.input("a", .uint(4))
        let r = b.reg("r", .uint(4))
        b.next(r, r + a)
        b.output("y", r)
        try Design(top: "Ok", modules: [b.build()]).validate()
    }

    @Test func widthMismatchNamesTheLine() {
        let e = errors { b in
            let a = b.input("a", .uint(4))
            let c = b.input("c", .uint(5))
            b.output("y", .uint(4))
            b.assign(.ref("y", .uint(4)), a + c)
        }
        #expect(e.count == 1)
        guard case let .widthMismatch(m, ctx, exp, got, at) = e.first else {
            Issue.record("expected widthMismatch, got \(e)")
            return
        }
        #expect(m == "M" && ctx == "assign y, operator add" && exp == .uint(4) && got == .uint(5))
        #expect(at.file.hasSuffix("ValidationTests.swift") && at.line > 0)
        #expect(e.first!.description.hasPrefix("M: width mismatch in assign y, operator add: got u5, expected u4 (at HWIRTests/ValidationTests.swift:"))
    }

    @Test func assignmentWidthMustMatchTarget() {
        let e = errors { b in
            let a = b.input("a", .uint(8))
            let y = b.output("y", .sint(8))
            b.assign(y, a)
        }
        #expect(e.map(\.description).contains { $0.contains("width mismatch in assign y: got u8, expected s8") })
    }

    @Test func undrivenOutputAndWire() {
        let e = errors { b in
            _ = b.input("a", .bool)
            b.output("y", .bool)
            b.wire("w", .bool)
        }
        #expect(e.contains { if case .undriven("M", "y", "output", _) = $0 { true } else { false } })
        #expect(e.contains { if case .undriven("M", "w", "wire", _) = $0 { true } else { false } })
    }

    @Test func multipleDriversListAllPlaces() {
        let e = errors { b in
            let a = b.input("a", .bool)
            let y = b.output("y", .bool)
            b.assign(y, a)
            b.assign(y, ~a)
        }
        guard case let .multipleDrivers(_, s, locs) = e.first else {
            Issue.record("expected multipleDrivers, got \(e)")
            return
        }
        #expect(s == "y" && locs.count == 2 && locs[0].line != locs[1].line)
    }

    @Test func combinationalLoopIsFound() {
        let e = errors { b in
            let a = b.input("a", .bool)
            let x = b.wire("x", .bool)
            let z = b.wire("z", .bool)
            b.assign(x, z & a)
            b.assign(z, ~x)
            b.output("y", x)
        }
        #expect(e.contains { if case let .combinationalLoop("M", path) = $0 { Set(path) == ["x", "z"] } else { false } })
        #expect(e.map(\.description).contains("M: combinational loop x -> z -> x"))
    }

    @Test func registerBreaksLoop() throws {
        let e = errors { b in
            b.clock()
            let r = b.reg("r", .bool, reset: nil)
            let x = b.node("x", ~r)
            b.next(r, x)
            b.output("y", x)
        }
        #expect(e.isEmpty)
    }

    @Test func loopThroughInstanceUsesChildSummary() {
        // Child: y = a (combinational). Parent feeds y back into a: a loop.
        let c = ModuleBuilder("Child")
        let a = c.input("a", .bool)
        c.output("y", a)
        let child = c.build()
        let e = errors({ b in
            let w = b.wire("fb", .bool)
            let outs = b.instance("u", of: child, inputs: ["a": w])
            b.assign(w, outs["y"]!)
            b.output("o", w)
        }, extra: [child])
        #expect(e.contains { if case .combinationalLoop = $0 { true } else { false } })
    }

    @Test func registeredChildOutputIsNoLoop() {
        let c = ModuleBuilder("RegChild")
        c.clock()
        let a = c.input("a", .bool)
        let r = c.reg("r", .bool, reset: nil)
        c.next(r, a)
        c.output("y", r)
        let child = c.build()
        let e = errors({ b in
            let clk = b.clock()
            let w = b.wire("fb", .bool)
            let outs = b.instance("u", of: child, inputs: ["clk": clk, "a": ~w])
            b.assign(w, outs["y"]!)
            b.output("o", w)
        }, extra: [child])
        #expect(e.isEmpty)
    }

    @Test func everyProblemIsReported() {
        let e = errors { b in
            let a = b.input("a", .uint(3))
            b.input("a", .uint(3))
            b.output("y", .uint(2))
            b.assign(.ref("y", .uint(2)), a)
            b.assign(.ref("nope", .bool), .zero)
            b.output("z", a.bits(5, 1))
            b.wire("reg", .bool)
        }
        let d = e.map(\.description)
        #expect(d.contains { $0.contains("'a' is declared twice") })
        #expect(d.contains { $0.contains("width mismatch in assign y: got u3, expected u2") })
        #expect(d.contains { $0.contains("'nope' is not declared") })
        #expect(d.contains { $0.contains("slice [5:1] of u3") })
        #expect(d.contains { $0.contains("name 'reg' is a Verilog keyword") })
        #expect(e.count >= 5)
    }

    @Test func drivingAnInputIsRejected() {
        let e = errors { b in
            let a = b.input("a", .bool)
            b.assign(a, .one)
        }
        #expect(e.contains(where: { if case .drivesInput("M", "a", _) = $0 { true } else { false } }))
    }

    @Test func registerNeedsClock() {
        let e = errors { b in
            let r = b.reg("r", .bool, reset: nil)
            b.next(r, ~r)
            b.output("y", r)
        }
        #expect(e.contains { if case .noClock = $0 { true } else { false } })
    }

    @Test func memoryAddressWidthIsChecked() {
        let e = errors { b in
            b.clock()
            let a = b.input("a", .uint(3))
            let mem = b.memory("m", width: 8, depth: 16)
            b.write(mem, when: .one, address: a, data: .lit(0, .uint(8)))
            b.output("y", b.asyncRead(mem, address: .lit(0, .uint(4))))
        }
        #expect(e.map(\.description).contains { $0.contains("width mismatch in address of m: got u3, expected u4") })
    }

    @Test func instanceConnectionsAreChecked() {
        let c = ModuleBuilder("C")
        let a = c.input("a", .uint(4))
        c.output("y", a)
        let child = c.build()
        let e = errors({ b in
            let x = b.input("x", .uint(3))
            let outs = b.instance("u", of: child, inputs: ["a": x, "bogus": x])
            b.output("o", outs["y"]!)
        }, extra: [child])
        let d = e.map(\.description)
        #expect(d.contains { $0.contains("width mismatch in u.a: got u3, expected u4") })
        #expect(d.contains { $0.contains("instance 'u' port 'bogus': C has no input of that name") })
    }

    @Test func conflictingModulesAndMissingTop() {
        let a = ModuleBuilder("Same", doc: "one").build()
        let b = ModuleBuilder("Same", doc: "two").build()
        #expect(throws: IRValidationError.self) { try Design(top: "Same", modules: [a, b]).validate() }
        do {
            try Design(top: "Nope", modules: [a]).validate()
            Issue.record("expected an error")
        } catch {
            #expect(error.errors == [.missingTop(top: "Nope")])
        }
    }
}
