import Foundation
import SpikeForgeCore
import Trainer

/// The SRAM contents of every tile of a compiled system (SPEC §5 "SRAM images"), built from the
/// plan and the model, written as `$readmemh` hex plus raw little-endian binary with a SHA-256
/// manifest, and loaded back with every check.
public struct SystemImages: Equatable, Sendable {
    public let system: SystemConfig
    /// Tile (x, y) is `tiles[y * cols + x]`: every SRAM (`PEConfig.srams`). The state SRAM is
    /// all zero (the reset control packet starts every inference).
    public var tiles: [PEImages]
    public var modelDigest: String

    public init(system: SystemConfig, tiles: [PEImages], modelDigest: String) {
        self.system = system
        self.tiles = tiles
        self.modelDigest = modelDigest
    }

    /// Builds every tile's SRAMs: layer parameters, axon map, weight rows, biases and targets.
    public init(plan: SystemPlan, model: IntegerModel) {
        let c = plan.system.pe, L = c.lanes
        system = plan.system
        modelDigest = plan.model.digest
        tiles = plan.tiles.map { t in
            var img = PEImages(c)
            for l in 0 ..< c.paramDepth { img.setLayer(l, LayerParams(theta: 0, mode: .linear, firstGroup: 0, groupCount: 0)) }
            for s in t.slices {
                let lp = plan.layers[s.layer], layer = model.layers[s.layer]
                let theta = lp.isOutput ? 0 : Int(lp.threshold)
                if let g = lp.geometry, s.block != nil {
                    Self.setMapSlice(&img, MapLayout(g, s, lanes: L), slice: s, plan: plan, layer: layer, theta: theta)
                    continue
                }
                img.setLayer(s.layer, LayerParams(theta: theta, mode: lp.mode, firstGroup: s.firstGroup, groupCount: s.groups))
                for j in s.inputLo ..< s.inputHi {
                    let row = s.firstRow + (j - s.inputLo) * s.groups
                    img.setAxon(lp.axonBase + j, AxonEntry(row: row, group: s.firstGroup, count: s.groups, layer: s.layer))
                    for g in 0 ..< s.groups {
                        for lane in 0 ..< L {
                            let n = s.neuronLo + g * L + lane
                            guard n < s.neuronHi else { continue }
                            img.setWeight(row: row + g, lane: lane, Int64(layer.weights[n * layer.inputs + j]))
                        }
                    }
                }
                for n in s.neuronLo ..< s.neuronHi {
                    let local = s.firstGroup * L + (n - s.neuronLo)
                    img.setBias(neuron: local, s.holdsBias ? layer.bias[n] : 0)
                    if let r = s.target, !lp.isOutput {
                        img.setTarget(neuron: local, TargetEntry(axon: plan.layers[s.layer + 1].axonBase + n, x0: r.x0, x1: r.x1, y0: r.y0, y1: r.y1))
                    }
                }
            }
            return img
        }
    }

    /// A conv or pool slice: window strides, one axon entry per input of the layer, each kernel
    /// once, biases and targets by the block's lane layout.
    static func setMapSlice(_ img: inout PEImages, _ m: MapLayout, slice s: Slice, plan: SystemPlan, layer: IntegerLayer, theta: Int) {
        let lp = plan.layers[s.layer]
        img.setLayer(s.layer, LayerParams(theta: theta, mode: lp.mode, firstGroup: s.firstGroup, groupCount: s.groups,
                                          rowStride: m.strides.row, groupStride: m.strides.group))
        for j in 0 ..< lp.inputs { img.setAxon(lp.axonBase + j, m.axonEntry(input: j, layer: s.layer)) }
        for w in m.weights(layer) { img.setWeight(row: w.row, lane: w.lane, w.weight) }
        for n in m.neurons {
            let local = m.local(n)
            img.setBias(neuron: local, s.holdsBias ? layer.bias[n] : 0)
            if let r = s.target, !lp.isOutput {
                img.setTarget(neuron: local, TargetEntry(axon: plan.layers[s.layer + 1].axonBase + n, x0: r.x0, x1: r.x1, y0: r.y0, y1: r.y1))
            }
        }
    }

    // MARK: Files

    public struct Manifest: Codable, Equatable, Sendable {
        public struct Entry: Codable, Equatable, Sendable {
            public var x: Int, y: Int
            public var memory: String
            public var id: Int
            public var depth: Int
            public var width: Int
            public var hex: String
            public var hexSHA256: String
            public var bin: String
            public var binSHA256: String
        }

        public var format = "spikeforge-images"
        public var formatVersion = 1
        public var generator = "spikeforge \(SpikeForgeVersion.string)"
        public var system: SystemConfig
        public var systemModule: String
        public var model: ModelIdentity
        public var memories: [Entry]

        /// A manifest with every field present: the shape `manifest.json` has.
        static let exemplar = Manifest(system: .defaultConfig, systemModule: "", model: ModelIdentity(architecture: "", digest: "", inputBits: 1, wBits: 2),
                                       memories: [Entry(x: 0, y: 0, memory: "", id: 0, depth: 1, width: 1, hex: "", hexSHA256: "", bin: "", binSHA256: "")])
    }

    /// One word per `ceil(width / 8)` bytes, least significant byte first.
    static func binary(_ words: [[UInt64]], width: Int) -> Data {
        let bytes = (width + 7) / 8
        var d = Data(capacity: words.count * bytes)
        for w in words { for k in 0 ..< bytes { d.append(UInt8(truncatingIfNeeded: w[k / 8] >> UInt64(8 * (k % 8)))) } }
        return d
    }

    public static func fileStem(x: Int, y: Int, _ m: PEMemory) -> String { "x\(x)_y\(y)_\(m.rtlName)" }

    /// Writes `<stem>.hex`, `<stem>.bin` for every tile and memory, and `manifest.json`, as the
    /// directory `dir`, atomically (the whole directory is replaced: no stale image stays).
    public func write(to dir: URL, model: ModelIdentity) throws(OutputError) {
        try AtomicOutput.replaceDirectory(at: dir, with: files(model: model), kind: .images)
    }

    /// The image directory's files (name, contents), `manifest.json` last.
    public func files(model: ModelIdentity) -> [(name: String, contents: Data)] {
        var files: [(name: String, contents: Data)] = []
        var entries: [Manifest.Entry] = []
        let c = system.pe
        for (k, img) in tiles.enumerated() {
            let x = k % system.cols, y = k / system.cols
            for m in c.srams {
                let (w, d) = c.geometry(m)
                let stem = Self.fileStem(x: x, y: y, m)
                let hex = Data(ReadMemH.format(img.words[m]!, width: w).utf8), bin = Self.binary(img.words[m]!, width: w)
                files.append(("\(stem).hex", hex))
                files.append(("\(stem).bin", bin))
                entries.append(.init(x: x, y: y, memory: "\(m)", id: m.rawValue, depth: d, width: w, hex: "\(stem).hex", hexSHA256: Checksum.sha256(hex),
                                     bin: "\(stem).bin", binSHA256: Checksum.sha256(bin)))
            }
        }
        let manifest = Manifest(system: system, systemModule: system.moduleName, model: model, memories: entries)
        let json = (try? CanonicalJSON.encode(manifest, pretty: true)) ?? "{}"
        files.append(("manifest.json", Data((json + "\n").utf8)))
        return files
    }

    /// Reads an image set, verifying every checksum, the hardware it was made for, and every
    /// memory's depth, width and contents against `expected` (and the model, when given).
    public static func load(from dir: URL, expected: SystemConfig, modelDigest: String? = nil) throws(CompileError) -> SystemImages {
        let mURL = dir.appendingPathComponent("manifest.json")
        let data: Data
        do { data = try FileRead.bounded(mURL, limit: JSONDocument.maxBytes) } catch { throw .file(path: mURL.path, problems: [error.reason]) }
        let manifest: Manifest
        switch JSONDocument.decode(Manifest.self, from: data, exemplar: Manifest.exemplar, optional: PEConfig.optionalFields) {
        case let .success(m): manifest = m
        case let .failure(e): throw .file(path: mURL.path, problems: e.problems)
        }
        var problems: [String] = []
        if manifest.format != "spikeforge-images" || manifest.formatVersion != 1 {
            problems.append("format \(manifest.format) version \(manifest.formatVersion), expected spikeforge-images version 1")
        }
        if manifest.system != expected {
            problems.append("the images are for \(manifest.system.moduleName), but the hardware is \(expected.moduleName)")
            throw .file(path: dir.path, problems: problems)
        }
        if let md = modelDigest, md != manifest.model.digest {
            problems.append("the images hold model \(manifest.model.digest.prefix(12))…, expected \(md.prefix(12))… (the design's model)")
        }
        let c = expected.pe
        var tiles = (0 ..< expected.tiles).map { _ in PEImages(c) }
        var seen = Set<String>()
        let expectedCount = expected.tiles * c.srams.count
        if manifest.memories.count != expectedCount {
            problems.append("memories: got \(manifest.memories.count) entries, expected \(expectedCount) (\(expected.tiles) tiles x \(c.srams.count) memories)")
            throw .file(path: dir.path, problems: problems)
        }
        for e in manifest.memories {
            let at = "tile (\(e.x),\(e.y)) \(e.memory)"
            guard (0 ..< expected.cols).contains(e.x), (0 ..< expected.rows).contains(e.y), let m = PEMemory(rawValue: e.id), "\(m)" == e.memory,
                  c.srams.contains(m)
            else {
                problems.append("\(at): no such tile or memory in \(expected.moduleName)")
                continue
            }
            guard seen.insert("\(e.x),\(e.y),\(m.rawValue)").inserted else { problems.append("\(at): listed twice"); continue }
            let (w, d) = c.geometry(m)
            if e.depth != d || e.width != w { problems.append("\(at): \(e.depth) x \(e.width) bits, expected \(d) x \(w)") }
            let names = [e.hex, e.bin].compactMap { ManifestName.problem($0, in: dir) }
            guard names.isEmpty else { problems += names.map { "\(at): \($0)" }; continue }
            let hexURL = dir.appendingPathComponent(e.hex), binURL = dir.appendingPathComponent(e.bin)
            // A hex line holds one word in hex digits; the binary file ceil(width / 8) bytes a word.
            let hex: Data, bin: Data
            do {
                hex = try FileRead.bounded(hexURL, limit: d * ((w + 3) / 4 + 2) + 4096)
                bin = try FileRead.bounded(binURL, limit: d * ((w + 7) / 8))
            } catch { problems.append("\(at): \(URL(fileURLWithPath: error.path).lastPathComponent) \(error.reason)"); continue }
            let bad = [Checksum.problem(hex, expected: e.hexSHA256, name: e.hex), Checksum.problem(bin, expected: e.binSHA256, name: e.bin)].compactMap { $0 }
            problems += bad.map { "\(at): \($0)" }
            guard bad.isEmpty, e.depth == d, e.width == w else { continue }
            do {
                let words = try ReadMemH.parse(String(decoding: hex, as: UTF8.self), width: w, path: hexURL.path)
                if words.count != d { problems.append("\(at): \(words.count) words in \(e.hex), expected \(d)"); continue }
                if binary(words, width: w) != bin { problems.append("\(at): \(e.hex) and \(e.bin) disagree"); continue }
                tiles[e.y * expected.cols + e.x].words[m] = words
            } catch {
                problems.append("\(at): \(error)")
            }
        }
        for t in 0 ..< expected.tiles {
            for m in c.srams where !seen.contains("\(t % expected.cols),\(t / expected.cols),\(m.rawValue)") {
                problems.append("tile (\(t % expected.cols),\(t / expected.cols)) \(m): not in the manifest")
            }
        }
        if !problems.isEmpty { throw .file(path: dir.path, problems: problems) }
        return SystemImages(system: expected, tiles: tiles, modelDigest: manifest.model.digest)
    }
}

extension SystemImages {
    /// The memories whose words differ from `expected`'s, each with its first differing word
    /// (at most `limit` memories).
    public func differences(from expected: SystemImages, limit: Int) -> [String] {
        var out: [String] = []
        for (k, (a, b)) in zip(tiles, expected.tiles).enumerated() {
            for m in system.pe.srams {
                guard out.count < limit else { return out }
                let wa = a.words[m] ?? [], wb = b.words[m] ?? []
                guard wa != wb else { continue }
                let at = "tile (\(k % system.cols),\(k / system.cols)) \(m)"
                let n = zip(wa, wb).filter { $0 != $1 }.count
                if let i = wa.indices.first(where: { $0 < wb.count && wa[$0] != wb[$0] }) {
                    out.append("\(at): \(n) words differ, the first at word \(i): got \(Self.hex(wa[i])), expected \(Self.hex(wb[i]))")
                } else {
                    out.append("\(at): \(wa.count) words, expected \(wb.count)")
                }
            }
        }
        if tiles.count != expected.tiles.count { out.append("\(tiles.count) tiles, expected \(expected.tiles.count)") }
        return out
    }

    static func hex(_ w: [UInt64]) -> String {
        let digits = w.reversed().map { String(format: "%016llx", $0) }.joined().drop { $0 == "0" }
        return "0x" + (digits.isEmpty ? "0" : String(digits))
    }
}
