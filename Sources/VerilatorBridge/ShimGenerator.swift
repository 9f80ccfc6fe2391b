import HWIR

/// Writes the C++ shim for one top module from its Swift port list.
public enum ShimGenerator {
    /// Bumped whenever the generated code changes; part of the build-cache key.
    public static let version = 3
    /// Must equal `SF_SHIM_ABI_VERSION` in `sf_shim.h`; checked when a library is loaded.
    public static let abiVersion = 3

    /// `threads`: the model's `--threads`, and so its context's threads (Verilator's default
    /// is every hardware thread, a thread pool even for a single-threaded model).
    public static func source(top m: Module, prefix: String, trace: Bool, threads: Int = 1) -> String {
        let s = ShimSource(m, cls: prefix, trace: trace, threads: threads)
        return [s.preamble, s.lifecycle, s.accessors, s.traceAndBench, s.hostLoop].joined(separator: "\n")
    }
}

/// The pieces of one shim, from the top module's ports (inputs then outputs, clock left out).
struct ShimSource {
    let m: Module, cls: String, trace: Bool, threads: Int
    let ins: [Port], outs: [Port]
    let inWords: Int, outWords: Int
    let info: [String], pokeAll: [String], peekAll: [String], pokeCases: [String], peekCases: [String]
    let stepBody: String
    var version: Int { ShimGenerator.version }
    /// One cycle on the frames `in` and `out`, indented for a loop body.
    var singleStep: String {
        stepBody.replacingOccurrences(of: "in + c * IN_WORDS", with: "in").replacingOccurrences(of: "out + c * OUT_WORDS", with: "out")
            .split(separator: "\n").map { "        " + $0 }.joined(separator: "\n")
    }
    var abiVersion: Int { ShimGenerator.abiVersion }

    init(_ m: Module, cls prefix: String, trace: Bool, threads: Int) {
        self.m = m
        self.cls = prefix
        self.trace = trace
        self.threads = max(1, threads)
        let ports = m.ports.filter { $0.name != m.clock }
        let ins = ports.filter { $0.direction == .input }
        let outs = ports.filter { $0.direction == .output }
        func words(_ p: Port) -> Int { (p.type.width + 63) / 64 }
        var info: [String] = []
        var off = 0
        for p in ins {
            info.append("    {\"\(p.name)\", \(p.type.width)u, 0u, \(p.type.signed ? 1 : 0)u, \(off)u},")
            off += words(p)
        }
        let inWords = off
        off = 0
        for p in outs {
            info.append("    {\"\(p.name)\", \(p.type.width)u, 1u, \(p.type.signed ? 1 : 0)u, \(off)u},")
            off += words(p)
        }
        let outWords = off

        func mask(_ w: Int) -> String { w >= 64 ? "~0ull" : "0x\(String((UInt64(1) << UInt64(w)) - 1, radix: 16))ull" }
        func pokeLines(_ p: Port, src: String, at: Int) -> [String] {
            let w = p.type.width
            if w <= 64 { return ["    t->\(p.name) = \(w <= 8 ? "(CData)" : w <= 16 ? "(SData)" : w <= 32 ? "(IData)" : "(QData)")(\(src)[\(at)] & \(mask(w)));"] }
            let n32 = (w + 31) / 32
            var l: [String] = []
            for k in 0 ..< n32 {
                let last = k == n32 - 1 && w % 32 != 0
                l.append("    t->\(p.name)[\(k)] = (IData)(\(src)[\(at + k / 2)] >> \(32 * (k % 2)))\(last ? " & \(mask(w % 32))" : "");")
            }
            return l
        }
        func peekLines(_ p: Port, dst: String, at: Int) -> [String] {
            let w = p.type.width
            if w <= 64 { return ["    \(dst)[\(at)] = (uint64_t)t->\(p.name) & \(mask(w));"] }
            let n32 = (w + 31) / 32
            var l: [String] = []
            for k in stride(from: 0, to: n32, by: 2) {
                let hi = k + 1 < n32 ? " | ((uint64_t)t->\(p.name)[\(k + 1)] << 32)" : ""
                l.append("    \(dst)[\(at + k / 2)] = (uint64_t)t->\(p.name)[\(k)]\(hi);")
            }
            l.append("    \(dst)[\(at + (n32 - 1) / 2)] &= \(mask(w % 64 == 0 ? 64 : w % 64));")
            return l
        }
        var pokeAll: [String] = []
        off = 0
        for p in ins {
            pokeAll += pokeLines(p, src: "in", at: off)
            off += words(p)
        }
        var peekAll: [String] = []
        off = 0
        for p in outs {
            peekAll += peekLines(p, dst: "out", at: off)
            off += words(p)
        }
        var pokeCases: [String] = []
        var peekCases: [String] = []
        for (i, p) in ins.enumerated() { pokeCases.append("    case \(i): {\n" + pokeLines(p, src: "w", at: 0).map { "    " + $0 }.joined(separator: "\n") + "\n        break;\n    }") }
        for (i, p) in outs.enumerated() { peekCases.append("    case \(ins.count + i): {\n" + peekLines(p, dst: "w", at: 0).map { "    " + $0 }.joined(separator: "\n") + "\n        break;\n    }") }

        let clk = m.clock.map { "t->\($0)" }
        let stepBody: String
        if let clk {
            stepBody = """
                    poke_inputs(t, in + c * IN_WORDS);
                    \(clk) = 0;
                    t->eval();
                    peek_outputs(t, out + c * OUT_WORDS);
                    m->dump();
                    \(clk) = 1;
                    t->eval();
                    m->dump();
            """
        } else {
            stepBody = """
                    poke_inputs(t, in + c * IN_WORDS);
                    t->eval();
                    peek_outputs(t, out + c * OUT_WORDS);
                    m->dump();
            """
        }
        self.ins = ins
        self.outs = outs
        self.inWords = inWords
        self.outWords = outWords
        self.info = info
        self.pokeAll = pokeAll
        self.peekAll = peekAll
        self.pokeCases = pokeCases
        self.peekCases = peekCases
        self.stepBody = stepBody
    }

    /// The includes, the ABI struct, the port table, the model and the port copy helpers.
    var preamble: String {
        """
        // Generated by SpikeForge (shim v\(version)) for \(m.name). Do not edit.
        #include "\(cls).h"
        #include "verilated.h"
        \(trace ? "#include \"verilated_fst_c.h\"\n" : "")#include <cstdint>
        #include <memory>

        // The ABI of Sources/CVerilatorShim/include/sf_shim.h, version \(abiVersion).
        extern "C" {
        typedef struct sf_port_info {
            const char *name;
            uint32_t width;
            uint32_t is_output;
            uint32_t is_signed;
            uint32_t offset_words;
        } sf_port_info;
        typedef struct sf_host_port {
            uint32_t rst, in_valid, in_flit, out_ready;
            uint32_t in_ready, out_valid, out_flit, busy;
        } sf_host_port;
        typedef struct sf_host_request {
            uint64_t max_cycles;
            uint64_t until_received;
            uint32_t rst, out_ready;
            uint32_t until_quiet;
            uint32_t reserved;
        } sf_host_request;
        typedef struct sf_host_result {
            uint64_t cycles, taken, received;
            uint32_t last_offered, last_busy;
        } sf_host_result;
        }

        #define SF_EXPORT extern "C" __attribute__((visibility("default")))

        namespace {
        constexpr uint32_t IN_WORDS = \(inWords);
        constexpr uint32_t OUT_WORDS = \(outWords);
        const sf_port_info PORTS[] = {
        \(info.joined(separator: "\n"))
            {nullptr, 0u, 0u, 0u, 0u}
        };

        struct Model {
            std::unique_ptr<VerilatedContext> ctx;
            std::unique_ptr<\(cls)> top;
        \(trace ? "    std::unique_ptr<VerilatedFstC> fst;\n" : "")    uint64_t cycles = 0;
            void dump() {
        \(trace ? "        if (fst) { fst->dump(ctx->time()); }\n        ctx->timeInc(1);\n" : "        ctx->timeInc(1);\n")    }
        };

        inline void poke_inputs(\(cls) *t, const uint64_t *in) {
            (void)t; (void)in;
        \(pokeAll.joined(separator: "\n"))
        }

        inline void peek_outputs(\(cls) *t, uint64_t *out) {
            (void)t; (void)out;
        \(peekAll.joined(separator: "\n"))
        }
        }  // namespace

        """
    }

    /// Version, ports, create, destroy and the batched step.
    var lifecycle: String {
        """
        SF_EXPORT uint32_t sf_abi_version(void) { return \(abiVersion)u; }
        SF_EXPORT uint32_t sf_port_count(void) { return \(ins.count + outs.count)u; }
        SF_EXPORT const sf_port_info *sf_ports(void) { return PORTS; }

        SF_EXPORT void *sf_create(void) {
            auto *m = new Model;
            m->ctx.reset(new VerilatedContext);
            m->ctx->randReset(0);
            m->ctx->threads(\(threads)u);
        \(trace ? "    m->ctx->traceEverOn(true);\n" : "")    m->top.reset(new \(cls){m->ctx.get(), "TOP"});
        \(m.clock.map { "    m->top->\($0) = 0;\n" } ?? "")    m->top->eval();
            return m;
        }

        SF_EXPORT void sf_destroy(void *h) {
            auto *m = static_cast<Model *>(h);
        \(trace ? "    if (m->fst) { m->fst->close(); }\n" : "")    m->top->final();
            delete m;
        }

        SF_EXPORT void sf_step(void *h, uint64_t n, const uint64_t *in, uint64_t *out) {
            auto *m = static_cast<Model *>(h);
            \(cls) *t = m->top.get();
            for (uint64_t c = 0; c < n; ++c) {
        \(stepBody)
            }
            m->cycles += n;
        }

        """
    }

    /// Single-port poke and peek, eval, the cycle count.
    var accessors: String {
        """
        SF_EXPORT void sf_poke(void *h, uint32_t port, const uint64_t *w) {
            \(cls) *t = static_cast<Model *>(h)->top.get();
            (void)t; (void)w;
            switch (port) {
        \(pokeCases.joined(separator: "\n"))
            default: break;
            }
        }

        SF_EXPORT void sf_peek(void *h, uint32_t port, uint64_t *w) {
            \(cls) *t = static_cast<Model *>(h)->top.get();
            (void)t; (void)w;
            switch (port) {
        \(peekCases.joined(separator: "\n"))
            default: break;
            }
        }

        SF_EXPORT void sf_eval(void *h) { static_cast<Model *>(h)->top->eval(); }

        SF_EXPORT uint64_t sf_cycles(void *h) { return static_cast<Model *>(h)->cycles; }

        """
    }

    /// FST tracing and the native benchmark loop.
    var traceAndBench: String {
        """
        SF_EXPORT int sf_trace_open(void *h, const char *path) {
        \(trace ? """
            auto *m = static_cast<Model *>(h);
            m->fst.reset(new VerilatedFstC);
            m->top->trace(m->fst.get(), 99);
            m->fst->open(path);
            return m->fst->isOpen() ? 0 : -2;
        """ : "    (void)h; (void)path;\n    return -1;")
        }

        SF_EXPORT void sf_trace_close(void *h) {
        \(trace ? "    auto *m = static_cast<Model *>(h);\n    if (m->fst) { m->fst->close(); m->fst.reset(); }" : "    (void)h;")
        }

        SF_EXPORT uint64_t sf_bench_native(void *h, uint64_t rounds, uint64_t batch, const uint64_t *stimulus) {
            auto *m = static_cast<Model *>(h);
            \(cls) *t = m->top.get();
            uint64_t out[OUT_WORDS + 1] = {0};
            uint64_t sum = 0;
            for (uint64_t r = 0; r < rounds; ++r) {
                for (uint64_t c = 0; c < batch; ++c) {
                    const uint64_t *in = stimulus + c * IN_WORDS;
        \(singleStep)
                    for (uint32_t k = 0; k < OUT_WORDS; ++k) { sum += out[k]; }
                }
            }
            m->cycles += rounds * batch;
            return sum;
        }

        """
    }

    /// The host loop in C++ (`sf_host_run`): one crossing per phase instead of one per cycle.
    var hostLoop: String {
        """
        SF_EXPORT void sf_host_run(void *h, const sf_host_port *p, const sf_host_request *q, const uint64_t *flits, uint64_t n_flits,
                                   uint64_t *received, uint64_t cap, sf_host_result *r) {
            auto *m = static_cast<Model *>(h);
            \(cls) *t = m->top.get();
            uint64_t in[IN_WORDS + 1] = {0};
            uint64_t out[OUT_WORDS + 1] = {0};
            const uint64_t max = q->max_cycles ? q->max_cycles : 1;
            uint64_t cycles = 0, taken = 0, got = 0;
            bool offered = false, busy = false;
            in[p->rst] = q->rst ? 1 : 0;
            in[p->out_ready] = q->out_ready ? 1 : 0;
            while (cycles < max) {
                offered = taken < n_flits;
                in[p->in_valid] = offered ? 1 : 0;
                in[p->in_flit] = offered ? flits[taken] : 0;
        \(singleStep)
                ++cycles;
                busy = (out[p->busy] & 1) != 0;
                if (!q->rst) {
                    if (offered && (out[p->in_ready] & 1)) { ++taken; }
                    if ((out[p->out_valid] & 1) && q->out_ready) { received[got++] = out[p->out_flit]; }
                }
                if (q->until_quiet && !offered && !busy) { break; }
                if (q->until_received && got >= q->until_received) { break; }
                if (got >= cap) { break; }
            }
            m->cycles += cycles;
            r->cycles = cycles;
            r->taken = taken;
            r->received = got;
            r->last_offered = offered ? 1u : 0u;
            r->last_busy = busy ? 1u : 0u;
        }

        """
    }
}
