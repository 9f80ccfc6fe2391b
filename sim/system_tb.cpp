// SpikeForge system testbench: a standalone C++ Verilator host for an exported design, so the
// RTL runs without Swift. It does what the Swift host (`SystemDriver`,
// Sources/CoSim/SystemDriver.swift) does, cycle for cycle:
//
//   power-on reset (rst high for `power_on_reset` cycles)
//   load: configuration packets for every word of every memory listed by `load` lines, formed
//         from the exported images/*.bin files, then drain
//   per image: reset control packet to the whole mesh, drain; input spike packets (one per
//         event, multiplicity up to `max_multiplicity`, multicast to the input rectangle or
//         --unicast one per first-layer tile), drain; one flush control packet per `flush`
//         layer, each drained; read requests for the output neurons' potentials (partial sums
//         added); read requests for the tiles' spike counters.
//
// Every packet field position, memory id, opcode and plan fact comes from host.txt, which
// `spikeforge host-program` writes; none is written here. Build and run: sim/README.md.
//
// One cycle, as the Swift shim steps the model: drive the inputs, clk = 0, eval, sample the
// outputs, clk = 1, eval. The host takes what the system offers (host_out_ready = 1, or at
// random with --stall),
// offers the head of its packet queue (one flit per cycle) and pops it when host_in_ready was
// high. A drain runs until nothing is queued, nothing was offered in the last cycle and `busy`
// is low.

#include "Vsystem.h"
#include "verilated.h"

#include <algorithm>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

namespace {

[[noreturn]] void fail(const std::string &what) { throw std::runtime_error(what); }

uint64_t mask(int width) { return width >= 64 ? ~0ull : ((1ull << width) - 1); }

// MARK: host.txt

struct Field {
    int lo = -1, width = 0;
    uint64_t put(uint64_t flit, uint64_t v) const { return flit | ((v & mask(width)) << lo); }
    uint64_t get(uint64_t flit) const { return (flit >> lo) & mask(width); }
};

struct Memory {
    int id = 0, width = 0, depth = 0, parts = 0, partShift = 0;
    std::string name;
};

struct Load {
    int x, y, memory;
    std::string file;
};

struct OutputPart {  // one output neuron's partial sum: parts [firstPart, firstPart+parts) of a word
    int neuron, x, y, memory, word, firstPart, parts, lo, width;
};

struct Counter {  // one tile's spike counter
    int layer, x, y, memory, word, part;
};

struct HostProgram {
    std::string top;
    int cols = 0, rows = 0, flitWidth = 0, partBits = 0, layers = 0, outputs = 0;
    int powerOnReset = 0, tagBits = 0, maxInFlight = 0, maxMultiplicity = 0, counterBits = 0;
    std::map<std::string, Field> fields;        // "<packet>.<field>"
    std::map<std::string, uint64_t> codes;       // "type.<name>", "opcode.<name>"
    std::map<int, Memory> memories;
    std::vector<Load> loads;
    int in_x0 = 0, in_x1 = 0, in_y0 = 0, in_y1 = 0;
    std::vector<std::pair<int, int>> inputTiles;
    std::vector<int> flushLayers;
    std::vector<OutputPart> outputParts;
    std::vector<Counter> counters;

    const Field &field(const std::string &k) const {
        auto it = fields.find(k);
        if (it == fields.end()) fail("host.txt: no field " + k);
        return it->second;
    }
    uint64_t code(const std::string &k) const {
        auto it = codes.find(k);
        if (it == codes.end()) fail("host.txt: no code " + k);
        return it->second;
    }
    const Memory &memory(int id) const {
        auto it = memories.find(id);
        if (it == memories.end()) fail("host.txt: no memory " + std::to_string(id));
        return it->second;
    }
};

HostProgram readHostProgram(const std::string &path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path);
    HostProgram h;
    std::string line;
    int n = 0;
    bool formatSeen = false;
    while (std::getline(in, line)) {
        ++n;
        std::istringstream s(line);
        std::string k;
        if (!(s >> k) || k[0] == '#') continue;
        auto bad = [&]() { fail(path + ":" + std::to_string(n) + ": cannot parse '" + line + "'"); };
        if (k == "format") {
            std::string f;
            int v = 0;
            if (!(s >> f >> v) || f != "spikeforge-host" || v != 1) fail(path + ": not a spikeforge-host version 1 file");
            formatSeen = true;
        } else if (k == "top") {
            if (!(s >> h.top)) bad();
        } else if (k == "mesh") {
            if (!(s >> h.cols >> h.rows)) bad();
        } else if (k == "flit_width") {
            if (!(s >> h.flitWidth)) bad();
        } else if (k == "part_bits") {
            if (!(s >> h.partBits)) bad();
        } else if (k == "layers") {
            if (!(s >> h.layers)) bad();
        } else if (k == "outputs") {
            if (!(s >> h.outputs)) bad();
        } else if (k == "power_on_reset") {
            if (!(s >> h.powerOnReset)) bad();
        } else if (k == "tag_bits") {
            if (!(s >> h.tagBits)) bad();
        } else if (k == "max_in_flight") {
            if (!(s >> h.maxInFlight)) bad();
        } else if (k == "max_multiplicity") {
            if (!(s >> h.maxMultiplicity)) bad();
        } else if (k == "counter_bits") {
            if (!(s >> h.counterBits)) bad();
        } else if (k == "field") {
            std::string packet, name;
            Field f;
            if (!(s >> packet >> name >> f.lo >> f.width)) bad();
            h.fields[packet + "." + name] = f;
        } else if (k == "type" || k == "opcode") {
            std::string name;
            uint64_t v;
            if (!(s >> name >> v)) bad();
            h.codes[k + "." + name] = v;
        } else if (k == "memory") {
            Memory m;
            if (!(s >> m.id >> m.name >> m.width >> m.depth >> m.parts >> m.partShift)) bad();
            h.memories[m.id] = m;
        } else if (k == "load") {
            Load l;
            if (!(s >> l.x >> l.y >> l.memory >> l.file)) bad();
            h.loads.push_back(l);
        } else if (k == "input_rect") {
            if (!(s >> h.in_x0 >> h.in_x1 >> h.in_y0 >> h.in_y1)) bad();
        } else if (k == "input_tile") {
            int x, y;
            if (!(s >> x >> y)) bad();
            h.inputTiles.push_back({x, y});
        } else if (k == "flush") {
            int l;
            if (!(s >> l)) bad();
            h.flushLayers.push_back(l);
        } else if (k == "output") {
            OutputPart o;
            if (!(s >> o.neuron >> o.x >> o.y >> o.memory >> o.word >> o.firstPart >> o.parts >> o.lo >> o.width)) bad();
            h.outputParts.push_back(o);
        } else if (k == "spike_counter") {
            Counter c;
            if (!(s >> c.layer >> c.x >> c.y >> c.memory >> c.word >> c.part)) bad();
            h.counters.push_back(c);
        } else {
            fail(path + ":" + std::to_string(n) + ": unknown keyword '" + k + "'");
        }
    }
    if (!formatSeen) fail(path + ": missing 'format spikeforge-host 1'");
    if (h.flitWidth < 1 || h.flitWidth > 64) fail(path + ": flit_width must be 1...64");
    if (h.tagBits < 1 || h.maxInFlight < 1 || h.maxInFlight > (1 << h.tagBits)) fail(path + ": bad tag_bits / max_in_flight");
    return h;
}

// MARK: events file

struct Image {
    int index = 0, label = -1;
    std::vector<std::pair<int, int>> events;  // (axon, level)
    std::vector<int64_t> expect;              // integer model's output potentials, if given
    bool hasExpect = false;
};

std::vector<Image> readEvents(const std::string &path) {
    std::ifstream in(path);
    if (!in) fail("cannot read " + path);
    std::vector<Image> images;
    std::string line;
    int n = 0;
    bool formatSeen = false, open = false;
    while (std::getline(in, line)) {
        ++n;
        std::istringstream s(line);
        std::string k;
        if (!(s >> k) || k[0] == '#') continue;
        auto bad = [&]() { fail(path + ":" + std::to_string(n) + ": cannot parse '" + line + "'"); };
        if (k == "format") {
            std::string f;
            int v = 0;
            if (!(s >> f >> v) || f != "spikeforge-events" || v != 1) fail(path + ": not a spikeforge-events version 1 file");
            formatSeen = true;
        } else if (k == "inputs") {
            continue;
        } else if (k == "image") {
            Image im;
            std::string lk;
            if (open || !(s >> im.index >> lk >> im.label) || lk != "label") bad();
            images.push_back(im);
            open = true;
        } else if (k == "event") {
            int a, l;
            if (!open || !(s >> a >> l)) bad();
            images.back().events.push_back({a, l});
        } else if (k == "expect") {
            if (!open) bad();
            int64_t v;
            while (s >> v) images.back().expect.push_back(v);
            images.back().hasExpect = true;
        } else if (k == "end") {
            if (!open) bad();
            open = false;
        } else {
            fail(path + ":" + std::to_string(n) + ": unknown keyword '" + k + "'");
        }
    }
    if (!formatSeen) fail(path + ": missing 'format spikeforge-events 1'");
    if (open) fail(path + ": the last image has no 'end'");
    return images;
}

// MARK: packets

struct Packets {
    const HostProgram &h;
    uint64_t header(int x0, int x1, int y0, int y1, const char *type) const {
        uint64_t f = 0;
        f = h.field("header.x0").put(f, x0);
        f = h.field("header.x1").put(f, x1);
        f = h.field("header.y0").put(f, y0);
        f = h.field("header.y1").put(f, y1);
        f = h.field("header.host").put(f, 0);
        return h.field("header.type").put(f, h.code(std::string("type.") + type));
    }
    uint64_t spike(int x0, int x1, int y0, int y1, int axon, int multiplicity) const {
        uint64_t f = header(x0, x1, y0, y1, "spike");
        f = h.field("spike.axon").put(f, axon);
        f = h.field("spike.negative").put(f, 0);
        return h.field("spike.multiplicity").put(f, multiplicity);
    }
    uint64_t address(int memory, int word, int part) const {
        return (uint64_t)part << h.memory(memory).partShift | (uint64_t)word;
    }
    uint64_t configWrite(int x, int y, int memory, int word, int part, uint64_t data) const {
        uint64_t f = header(x, x, y, y, "config");
        f = h.field("config.memory").put(f, memory);
        f = h.field("config.address").put(f, address(memory, word, part));
        return h.field("config.data").put(f, data);
    }
    uint64_t readRequest(int x, int y, int memory, int word, int part, int tag) const {
        uint64_t f = header(x, x, y, y, "read");
        f = h.field("read.memory").put(f, memory);
        f = h.field("read.address").put(f, address(memory, word, part));
        return h.field("read.tag").put(f, tag);
    }
    uint64_t control(const char *opcode, int layer) const {
        uint64_t f = header(0, h.cols - 1, 0, h.rows - 1, "control");
        f = h.field("control.opcode").put(f, h.code(std::string("opcode.") + opcode));
        return h.field("control.layer").put(f, layer);
    }
};

// Bits [lo, lo + width) of a little-endian word of `bytes` bytes.
uint64_t wordBits(const uint8_t *w, int bytes, int lo, int width) {
    uint64_t v = 0;
    for (int b = 0; b < width; ++b) {
        int i = lo + b;
        if (i / 8 < bytes && (w[i / 8] >> (i % 8) & 1)) v |= 1ull << b;
    }
    return v;
}

// MARK: the host

struct Timeout : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Random back-pressure on host_out_ready, the same stream as Swift's RandomStall (SplitMix64;
// a run of up to `burst` stalled cycles starts with probability `probability`).
struct RandomStall {
    double probability = 0;
    uint64_t burst = 8, state = 0, left = 0;
    uint64_t next() {
        state += 0x9E3779B97F4A7C15ull;
        uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    bool stalls() {
        if (left > 0) {
            --left;
            return true;
        }
        if (!((double)(next() >> 11) * 0x1.0p-53 < probability)) return false;
        left = next() % burst;
        return true;
    }
};

struct Host {
    const HostProgram &h;
    Packets pk;
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vsystem> top;
    std::vector<uint64_t> queue;
    size_t head = 0;
    std::vector<uint64_t> received;
    uint64_t cycle = 0;
    bool busy = true, offered = false;
    long limit = 5000000;
    int image = 0;
    bool stalling = false;
    RandomStall stall;
    std::vector<uint64_t> lastSpikes;

    explicit Host(const HostProgram &hp) : h(hp), pk{hp} {
        ctx.reset(new VerilatedContext);
        ctx->randReset(0);
        top.reset(new Vsystem{ctx.get(), "TOP"});
        top->clk = 0;
        top->eval();
        lastSpikes.assign(h.counters.size(), 0);
    }
    ~Host() { top->final(); }

    void send(uint64_t f) { queue.push_back(f); }
    size_t pending() const { return queue.size() - head; }

    // One clock cycle (SystemDriver.tick).
    void tick(bool reset = false) {
        bool takes = !(stalling && stall.stalls());
        bool offer = head < queue.size();
        offered = offer;
        top->rst = reset;
        top->host_out_ready = takes;
        top->host_in_valid = offer;
        top->host_in_flit = offer ? queue[head] : 0;
        top->clk = 0;
        top->eval();
        bool ready = top->host_in_ready, valid = top->host_out_valid;
        uint64_t out = top->host_out_flit;
        busy = top->busy;
        top->clk = 1;
        top->eval();
        ctx->timeInc(2);
        if (offer && ready && !reset) {
            if (++head == queue.size()) {
                queue.clear();
                head = 0;
            }
        }
        if (valid && takes && !reset) received.push_back(out);
        ++cycle;
    }

    void powerOnReset() {
        for (int k = 0; k < h.powerOnReset; ++k) tick(true);
        lastSpikes.assign(h.counters.size(), 0);
    }

    uint64_t drain(const std::string &phase) {
        uint64_t start = cycle;
        do {
            tick();
            if (cycle - start > (uint64_t)limit)
                throw Timeout("image " + std::to_string(image) + ": the system was still busy " + std::to_string(limit) + " cycles into the " +
                              phase + " phase (cycle " + std::to_string(cycle) + "); deadlock or runaway");
        } while (pending() > 0 || busy || offered);
        return cycle - start;
    }

    uint64_t load(const std::string &imagesDir) {
        for (const Load &l : h.loads) {
            const Memory &m = h.memory(l.memory);
            std::string path = imagesDir + "/" + l.file;
            std::ifstream in(path, std::ios::binary);
            if (!in) fail("cannot read " + path);
            std::vector<uint8_t> data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
            int bytes = (m.width + 7) / 8;
            if ((long)data.size() != (long)bytes * m.depth)
                fail(path + ": " + std::to_string(data.size()) + " bytes, expected " + std::to_string(m.depth) + " words of " + std::to_string(bytes));
            for (int a = 0; a < m.depth; ++a)
                for (int p = 0; p < m.parts; ++p) {
                    int w = std::min(h.partBits, m.width - p * h.partBits);
                    send(pk.configWrite(l.x, l.y, l.memory, a, p, wordBits(&data[(size_t)a * bytes], bytes, p * h.partBits, w)));
                }
        }
        return drain("configuration");
    }

    struct Read {
        int x, y, memory, word, part;
    };

    // Read requests, max_in_flight in flight as a sliding window: each response frees its tag,
    // and the next request goes out with it (SystemDriver.read).
    std::vector<uint64_t> read(const std::vector<Read> &requests) {
        std::vector<uint64_t> data(requests.size(), 0);
        const Field &tagF = h.field("response.tag"), &dataF = h.field("response.data");
        const Field &typeF = h.field("header.type");
        const uint64_t response = h.code("type.response");
        size_t tags = std::min(requests.size(), (size_t)h.maxInFlight), sent = 0;
        std::vector<long> owner(tags, -1);  // the request each tag is out for (-1: free)
        received.clear();
        auto request = [&](size_t i, size_t tag) {
            const Read &r = requests[i];
            send(pk.readRequest(r.x, r.y, r.memory, r.word, r.part, (int)tag));
            owner[tag] = (long)i;
        };
        for (; sent < tags; ++sent) request(sent, sent);
        // A response answers the request its tag is out for; anything else received neither
        // answers nor lands anywhere.
        uint64_t progress = cycle;
        size_t missing = requests.size(), next = 0;
        while (missing > 0) {
            tick();
            if (cycle - progress > (uint64_t)limit)
                throw Timeout("image " + std::to_string(image) + ": " + std::to_string(missing) + " read responses never arrived (cycle " +
                              std::to_string(cycle) + ")");
            for (; next < received.size(); ++next) {
                uint64_t f = received[next], tag = tagF.get(f);
                if (typeF.get(f) != response || tag >= tags || owner[tag] < 0) continue;
                data[(size_t)owner[tag]] = dataF.get(f) & mask(h.partBits);
                --missing;
                progress = cycle;
                owner[tag] = -1;
                if (sent < requests.size()) request(sent++, tag);
            }
        }
        return data;
    }

    struct Result {
        std::vector<int64_t> logits;
        std::vector<uint64_t> spikes;
        uint64_t reset = 0, compute = 0, readout = 0, events = 0;
        int predicted() const {
            int best = 0;
            for (size_t k = 1; k < logits.size(); ++k)
                if (logits[k] > logits[best]) best = (int)k;
            return best;
        }
    };

    Result infer(const Image &im, bool unicast) {
        Result r;
        send(pk.control("reset", 0));
        r.reset = drain("reset");
        for (auto [axon, level] : im.events) {
            for (int left = level; left > 0;) {
                int m = std::min(left, h.maxMultiplicity);
                if (unicast) {
                    for (auto [x, y] : h.inputTiles) send(pk.spike(x, x, y, y, axon, m));
                } else {
                    send(pk.spike(h.in_x0, h.in_x1, h.in_y0, h.in_y1, axon, m));
                }
                ++r.events;
                left -= m;
            }
        }
        r.compute = drain("input");
        for (int l : h.flushLayers) {
            send(pk.control("flush", l));
            r.compute += drain("flush of layer " + std::to_string(l));
        }
        uint64_t begin = cycle;
        r.logits = readLogits();
        r.readout = cycle - begin;
        r.spikes = spikesPerLayer();
        ++image;
        return r;
    }

    std::vector<int64_t> readLogits() {
        // Each part is read once, in the order the outputs first need it (SystemDriver's order:
        // neighbouring lanes' V share parts).
        std::vector<Read> reads;
        std::map<std::tuple<int, int, int, int, int>, size_t> index;
        auto key = [](const OutputPart &o, int p) { return std::make_tuple(o.x, o.y, o.memory, o.word, o.firstPart + p); };
        for (const OutputPart &o : h.outputParts)
            for (int p = 0; p < o.parts; ++p)
                if (index.emplace(key(o, p), reads.size()).second) reads.push_back({o.x, o.y, o.memory, o.word, o.firstPart + p});
        std::vector<uint64_t> data = read(reads);
        std::vector<int64_t> logits(h.outputs, 0);
        for (const OutputPart &o : h.outputParts) {
            unsigned __int128 bits = 0;
            for (int p = 0; p < o.parts; ++p) bits |= (unsigned __int128)data[index.at(key(o, p))] << (p * h.partBits);
            uint64_t v = (uint64_t)(bits >> o.lo) & mask(o.width);
            int64_t sv = (o.width < 64 && (v >> (o.width - 1) & 1)) ? (int64_t)(v | ~mask(o.width)) : (int64_t)v;
            logits.at(o.neuron) += sv;
        }
        return logits;
    }

    std::vector<uint64_t> spikesPerLayer() {
        std::vector<Read> reads;
        for (const Counter &c : h.counters) reads.push_back({c.x, c.y, c.memory, c.word, c.part});
        std::vector<uint64_t> data = read(reads);
        std::vector<uint64_t> spikes(h.layers, 0);
        uint64_t wrap = 1ull << h.counterBits;
        for (size_t k = 0; k < h.counters.size(); ++k) {
            spikes.at(h.counters[k].layer) += (data[k] - lastSpikes[k] + wrap) % wrap;
            lastSpikes[k] = data[k];
        }
        return spikes;
    }
};

template <class T> std::string joined(const std::vector<T> &v) {
    std::string s;
    for (size_t k = 0; k < v.size(); ++k) s += (k ? "," : "") + std::to_string(v[k]);
    return s.empty() ? "-" : s;
}

void usage() {
    std::fprintf(stderr,
                 "usage: system_tb --host HOST.txt --images DESIGN/images --events EVENTS.txt [--limit N] [--unicast] [--timeout CYCLES]\n"
                 "                 [--stall PROBABILITY [--stall-seed SEED] [--stall-burst CYCLES]]\n"
                 "Loads the SRAMs by configuration packets, runs every image of the events file and prints, per image, the\n"
                 "output potentials, the predicted class and the cycles of each phase. Exit status 1 if any image's potentials\n"
                 "differ from the file's 'expect' line. --stall holds host_out_ready low at random (runs of up to --stall-burst\n"
                 "cycles, default 8, start with that probability; seeded as SystemDriver.hostStall).\n");
}

}  // namespace

int main(int argc, char **argv) {
    std::string hostPath, imagesDir, eventsPath;
    long limitImages = -1, timeout = 5000000;
    bool unicast = false;
    RandomStall stall;
    double stallProbability = 0;
    for (int k = 1; k < argc; ++k) {
        std::string a = argv[k];
        auto next = [&]() -> std::string {
            if (k + 1 >= argc) {
                usage();
                std::exit(2);
            }
            return argv[++k];
        };
        if (a == "--host") hostPath = next();
        else if (a == "--images") imagesDir = next();
        else if (a == "--events") eventsPath = next();
        else if (a == "--limit") limitImages = std::atol(next().c_str());
        else if (a == "--timeout") timeout = std::atol(next().c_str());
        else if (a == "--unicast") unicast = true;
        else if (a == "--stall") stallProbability = std::atof(next().c_str());
        else if (a == "--stall-seed") stall.state = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "--stall-burst") stall.burst = std::strtoull(next().c_str(), nullptr, 10);
        else if (a == "-h" || a == "--help") {
            usage();
            return 0;
        } else if (a.rfind("+verilator", 0) == 0) continue;
        else {
            std::fprintf(stderr, "unknown argument '%s'\n", a.c_str());
            usage();
            return 2;
        }
    }
    if (hostPath.empty() || imagesDir.empty() || eventsPath.empty() || !(stallProbability >= 0 && stallProbability <= 1) || stall.burst < 1) {
        usage();
        return 2;
    }
    try {
        HostProgram hp = readHostProgram(hostPath);
        std::vector<Image> images = readEvents(eventsPath);
        if (limitImages >= 0 && (size_t)limitImages < images.size()) images.resize(limitImages);
        Host host(hp);
        host.limit = timeout;
        stall.probability = stallProbability;
        host.stall = stall;
        host.stalling = stallProbability > 0;
        std::printf("system %s: %dx%d mesh, %zu memories loaded by configuration packets, %zu images, input spikes %s\n", hp.top.c_str(), hp.cols,
                    hp.rows, hp.loads.size(), images.size(), unicast ? "unicast" : "multicast");
        host.powerOnReset();
        uint64_t loadCycles = host.load(imagesDir);
        std::printf("load_cycles %" PRIu64 "\n", loadCycles);
        int correct = 0, checked = 0, mismatches = 0;
        uint64_t computeSum = 0;
        for (const Image &im : images) {
            Host::Result r = host.infer(im, unicast);
            int p = r.predicted();
            correct += p == im.label;
            computeSum += r.compute;
            const char *check = "-";
            if (im.hasExpect) {
                ++checked;
                bool ok = im.expect == r.logits;
                mismatches += !ok;
                check = ok ? "ok" : "MISMATCH";
            }
            std::printf("image %d label %d predicted %d reset %" PRIu64 " compute %" PRIu64 " readout %" PRIu64 " events %" PRIu64
                        " spikes %s logits %s expect %s\n",
                        im.index, im.label, p, r.reset, r.compute, r.readout, r.events, joined(r.spikes).c_str(), joined(r.logits).c_str(), check);
            if (im.hasExpect && im.expect != r.logits) std::printf("  image %d: integer model %s\n", im.index, joined(im.expect).c_str());
        }
        size_t n = images.size();
        std::printf("summary images %zu correct %d accuracy %.2f%% compute_mean %.1f checked %d mismatches %d cycles %" PRIu64 "\n", n, correct,
                    n ? 100.0 * correct / n : 0.0, n ? (double)computeSum / n : 0.0, checked, mismatches, host.cycle);
        return mismatches ? 1 : 0;
    } catch (const std::exception &e) {
        std::fflush(stdout);
        std::fprintf(stderr, "system_tb: %s\n", e.what());
        return 3;
    }
}
