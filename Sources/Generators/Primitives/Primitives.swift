import Foundation
import HWIR
import SpikeForgeCore

enum CanonicalJSONText {
    static func encode<C: Encodable>(_ c: C) throws -> String { try CanonicalJSON.encode(c, pretty: true) }
}

/// Every generator: a checked configuration in, a design (one or more modules) out.
public protocol BlockGenerator {
    associatedtype Config: BlockConfig
    /// Validates `config` (throwing every violation) and builds the design.
    static func design(_ config: Config) throws(ConfigError) -> Design
}

/// The signed saturating adder of `SatAdderConfig`. Combinational, latency 0.
public enum SatAdderGenerator: BlockGenerator {
    public static func design(_ c: SatAdderConfig) throws(ConfigError) -> Design {
        try c.validate()
        let b = ModuleBuilder(c.moduleName, doc: "Signed saturating adder: sum = clamp(a + b) to \(c.outWidth) bits. Combinational; never wraps.", configuration: describe(c))
        let a = b.input("a", .sint(c.aWidth), doc: "addend")
        let x = b.input("b", .sint(c.bWidth), doc: "addend")
        let (sum, sat) = Arith.saturatingAdd(b, a, x, outWidth: c.outWidth, name: "add")
        b.output("sum", sum, doc: "clamped sum")
        b.output("saturated", sat, doc: "1 when the exact sum did not fit")
        return Design(top: c.moduleName, modules: [b.build()])
    }
}

/// The signed saturating accumulator of `AccumulatorConfig`. Latency 1 cycle.
public enum AccumulatorGenerator: BlockGenerator {
    public static func design(_ c: AccumulatorConfig) throws(ConfigError) -> Design {
        try c.validate()
        let b = ModuleBuilder(c.moduleName, doc: "Signed saturating accumulator: acc <= clamp(acc + x) when en; load wins over en.", configuration: describe(c))
        b.clock()
        b.reset()
        let load = b.input("load", .bool, doc: "acc <= load_value")
        let loadValue = b.input("load_value", .sint(c.accWidth), doc: "start value, e.g. a bias")
        let en = b.input("en", .bool, doc: "acc <= clamp(acc + x)")
        let x = b.input("x", .sint(c.inWidth), doc: "increment")
        let acc = b.reg("acc_q", .sint(c.accWidth))
        let satQ = b.reg("saturated_q", .bool)
        let (sum, sat) = Arith.saturatingAdd(b, acc, x, outWidth: c.accWidth, name: "acc")
        b.next(acc, loadValue.when(load, else: sum), when: load | en)
        b.next(satQ, Expr.zero.when(load, else: sat), when: load | en)
        b.output("acc", acc, doc: "accumulated value")
        b.output("saturated", satQ, doc: "the last update was clamped")
        return Design(top: c.moduleName, modules: [b.build()])
    }
}

/// The synchronous valid/ready FIFO of `FIFOConfig`. Storage is a memory with one write port
/// and one asynchronous read port (the head); a depth-1 FIFO holds its word in one register. Latency 1 cycle from push to `out_valid`.
public enum FIFOGenerator: BlockGenerator {
    public static func design(_ c: FIFOConfig) throws(ConfigError) -> Design {
        try c.validate()
        return Design(top: c.moduleName, modules: [module(c)])
    }

    /// The FIFO module alone, for parents that instantiate it.
    public static func module(_ c: FIFOConfig) -> Module {
        let b = ModuleBuilder(c.moduleName, doc: "Synchronous FIFO, \(c.depth) x \(c.width) bits, valid/ready on both sides.\nPush when in_valid && in_ready; pop when out_valid && out_ready; both may happen in one cycle.\nin_ready = !full and does not depend on out_ready. Neither side handshakes during reset. Latency: push in cycle t is at the head in t+1.", configuration: describe(c))
        b.clock()
        let rst = b.reset()
        let inValid = b.input("in_valid", .bool, doc: "producer has a word")
        let inData = b.input("in_data", .uint(c.width), doc: "word to push")
        let outReady = b.input("out_ready", .bool, doc: "consumer takes the head")
        let ptrW = Bits.addressWidth(c.depth)
        let cw = c.countWidth
        let count = b.reg("count_q", .uint(cw))
        // No handshake happens while reset is high.
        let inReady = b.output("in_ready", ~rst & count.ne(c.depth), doc: "not full (and not in reset)")
        let outValid = b.output("out_valid", ~rst & count.ne(0), doc: "not empty (and not in reset)")
        let push = b.node("push", inValid & inReady)
        let pop = b.node("pop", outValid & outReady)
        if c.depth == 1 {
            // One entry is one register, not a memory.
            let slot = b.reg("storage_q", .uint(c.width), reset: nil)
            b.next(slot, inData, when: push)
            b.output("out_data", slot, doc: "head word, valid when out_valid")
        } else {
            let storage = b.memory("storage", width: c.width, depth: c.depth)
            let wr = b.reg("wr_ptr_q", .uint(ptrW))
            let rd = b.reg("rd_ptr_q", .uint(ptrW))
            b.next(wr, Arith.increment(wr, modulo: c.depth), when: push)
            b.next(rd, Arith.increment(rd, modulo: c.depth), when: pop)
            b.write(storage, when: push, address: wr, data: inData)
            b.output("out_data", b.asyncRead(storage, address: rd), doc: "head word, valid when out_valid")
        }
        b.next(count, (count + 1).when(push, else: count - 1), when: push ^ pop)
        b.output("count", count, doc: "occupancy")
        return b.build()
    }
}

/// The synchronous SRAM of `SRAMConfig`, written so that synthesis infers a memory.
/// Read latency 1 cycle, read-first on a same-address write; `rdata` holds between reads.
public enum SRAMGenerator: BlockGenerator {
    public static func design(_ c: SRAMConfig) throws(ConfigError) -> Design {
        try c.validate()
        return Design(top: c.moduleName, modules: [module(c)])
    }

    public static func module(_ c: SRAMConfig) -> Module {
        let kind = c.kind == .singlePort ? "Single-port" : "Simple dual-port (1 write, 1 read)"
        let b = ModuleBuilder(c.moduleName, doc: "\(kind) synchronous SRAM, \(c.depth) x \(c.width) bits.\nRead latency 1 cycle; a read of the word being written returns the old word (read-first).\nrdata holds between reads. INIT_FILE, when not empty, is loaded with $readmemh.", configuration: describe(c))
        b.clock()
        b.parameter("INIT_FILE", default: .string(c.initFile), doc: "$readmemh image, \"\" for none")
        let mem = b.memory("mem", width: c.width, depth: c.depth, initParameter: "INIT_FILE")
        let aw = c.addressWidth
        switch c.kind {
        case .singlePort:
            let en = b.input("en", .bool, doc: "access enable")
            let we = b.input("we", .bool, doc: "write (with en)")
            let addr = b.input("addr", .uint(aw), doc: "word address")
            let wdata = b.input("wdata", .uint(c.width), doc: "write data")
            b.write(mem, when: en & we, address: addr, data: wdata)
            let q = b.syncRead(mem, when: en, address: addr, into: "rdata_q")
            b.output("rdata", q, doc: "read data, one cycle after en")
        case .simpleDualPort:
            let we = b.input("we", .bool, doc: "write enable")
            let waddr = b.input("waddr", .uint(aw), doc: "write address")
            let wdata = b.input("wdata", .uint(c.width), doc: "write data")
            let re = b.input("re", .bool, doc: "read enable")
            let raddr = b.input("raddr", .uint(aw), doc: "read address")
            b.write(mem, when: we, address: waddr, data: wdata)
            let q = b.syncRead(mem, when: re, address: raddr, into: "rdata_q")
            b.output("rdata", q, doc: "read data, one cycle after re")
        }
        return b.build()
    }
}

/// The round-robin arbiter of `ArbiterConfig`. Grant is combinational; the pointer moves past
/// the winner on `advance`.
public enum ArbiterGenerator: BlockGenerator {
    public static func design(_ c: ArbiterConfig) throws(ConfigError) -> Design {
        try c.validate()
        return Design(top: c.moduleName, modules: [module(c)])
    }

    public static func module(_ c: ArbiterConfig) -> Module {
        let n = c.requesters
        let iw = c.indexWidth
        let b = ModuleBuilder(c.moduleName, doc: "Round-robin arbiter over \(n) requesters.\nGrant (combinational) goes to the first requester at or after the pointer, wrapping.\nOn advance && grant_valid the pointer moves to one past the winner. Reset: pointer 0.", configuration: describe(c))
        b.clock()
        b.reset()
        let req = b.input("req", .uint(n), doc: "request lines")
        let advance = b.input("advance", .bool, doc: "the current grant is taken")
        // The pointer, kept as the mask of the requesters after the last winner, so no shifter is
        // on the grant's path. An empty mask (after reset, or after a win by the last) picks the
        // lowest of all, as a pointer of 0 does.
        let after = b.reg("after_q", .uint(n))
        let masked = b.node("masked", req & after)
        // The lowest request at or after the pointer, else the lowest of all: the lowest set bit
        // of {req, masked}, folded (one carry chain, no choice after it).
        let both = b.node("both", .concat([req, masked]))
        let low = b.node("both_low", both & (~both + 1))
        let grant = b.node("grant_onehot", low.bits(2 * n - 1, n) | low.bits(n - 1, 0))
        let valid = b.output("grant_valid", req.any, doc: "some request is granted")
        var indexBits: [Expr] = []
        for bit in (0 ..< iw).reversed() {
            var sel: UInt64 = 0
            for i in 0 ..< n where (i >> bit) & 1 == 1 { sel |= 1 << UInt64(i) }
            indexBits.append((grant & .lit(bits: sel, .uint(n))).any)
        }
        let index = b.node("index", .concat(indexBits))
        var above: [Expr] = [], seen = Expr.zero
        for i in 0 ..< n {
            above.append(seen)
            seen = seen | grant.bit(i)
        }
        b.next(after, .concat(above.reversed()), when: advance & valid)
        b.output("grant", grant, doc: "one-hot grant")
        b.output("grant_index", index, doc: "index of the granted requester")
        return b.build()
    }
}
