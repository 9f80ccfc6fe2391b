import Foundation
import SpikeForgeCore
import Trainer

/// `system.json` as the decoding layer reads it (docs/ARCHITECTURE.md, "Decoding"): its shape,
/// then every field against the hardware, then (`problems(against:)`) the whole plan against
/// what the compiler makes of the model. Nothing that fails here reaches a driver or a model.
extension SystemPlan {
    /// A plan with every field present and every array non-empty: the shape `system.json` has.
    static let exemplar: SystemPlan = {
        let shape = FeatureShape(channels: 1, height: 1, width: 1)
        let layer = LayerPlan(name: "fc1", inputs: 1, outputs: 1, mode: .reluFloor, threshold: 1, flush: true, isOutput: false, axonBase: 0, vBound: 1, zBound: 1,
                              geometry: LayerGeometry(kind: .conv, size: 1, input: shape, output: shape))
        let slice = Slice(layer: 0, neuronLo: 0, neuronHi: 1, inputLo: 0, inputHi: 1, firstGroup: 0, groups: 1, firstRow: 0, holdsBias: true, target: .tile(0, 0),
                          block: MapBlock(channelLo: 0, channelHi: 1, rowLo: 0, rowHi: 1, rows: 1))
        return SystemPlan(system: .defaultConfig, policy: .fill, model: ModelIdentity(architecture: "1-1", digest: "", inputBits: 1, wBits: 2),
                          layers: [layer], tiles: [TilePlan(x: 0, y: 0, slices: [slice])], input: .tile(0, 0),
                          balance: BalanceRecord(layer: "fc1", images: 1, source: "", sourceDigest: "", busiestBefore: 0, busiestAfter: 0, meanTile: 0))
    }()

    static let choices: [String: [String]] = [
        "policy": PlacementPolicy.allCases.map(\.rawValue), "mode": NeuronMode.allCases.map(\.rawValue),
        "kind": LayerGeometry.Kind.allCases.map(\.rawValue),
    ]

    /// Reads and checks a system file: every structural and range problem is listed, each with
    /// its field, what it held and what was expected.
    public static func load(_ url: URL) throws(CompileError) -> SystemPlan {
        let data: Data
        do { data = try FileRead.bounded(url, limit: JSONDocument.maxBytes) } catch { throw .file(path: url.path, problems: [error.description]) }
        return try decode(data, path: url.path)
    }

    /// A system file's bytes, checked as `load` checks them.
    public static func decode(_ data: Data, path: String) throws(CompileError) -> SystemPlan {
        switch JSONDocument.decode(SystemPlan.self, from: data, exemplar: exemplar, optional: PEConfig.optionalFields.union(["target", "geometry", "block", "balance"]),
                                   choices: choices) {
        case let .failure(e): throw .file(path: path, problems: e.problems)
        case let .success(plan):
            let problems = plan.problems()
            if !problems.isEmpty { throw .file(path: path, problems: problems) }
            return plan
        }
    }

    /// The system a file describes: a system file from `spikeforge export` (its `system` field,
    /// after the whole plan is checked) or a bare `SystemConfig` (every field present, checked).
    public static func system(reading url: URL) throws(CompileError) -> SystemConfig {
        let data: Data
        do { data = try FileRead.bounded(url, limit: JSONDocument.maxBytes) } catch { throw .file(path: url.path, problems: [error.reason]) }
        let isPlan = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["format"] != nil
        if isPlan { return try decode(data, path: url.path).system }
        switch JSONDocument.decode(SystemConfig.self, from: data, exemplar: SystemConfig.defaultConfig, optional: PEConfig.optionalFields) {
        case let .failure(e):
            throw .file(path: url.path, problems: e.problems + ["(expected a system file from spikeforge export, or a SystemConfig as `generate system` writes to config.json)"])
        case let .success(c):
            do { try c.validate() } catch { throw .file(path: url.path, problems: error.violations.map(\.description)) }
            return c
        }
    }

    /// Every problem of the plan on its own: format, hardware, layers, tiles and slices.
    public func problems() -> [String] {
        var p: [String] = []
        if format != "spikeforge-system" { p.append("format: got '\(format)', expected 'spikeforge-system'") }
        if formatVersion != 1 { p.append("formatVersion: got \(formatVersion), expected 1") }
        do { try system.validate() } catch {
            return p + error.violations.map { "system.\($0.field): got \($0.value), expected \($0.expected)" }
        }
        if !(1 ... 8).contains(model.inputBits) { p.append("model.inputBits: got \(model.inputBits), expected 1...8") }
        if !(2 ... 16).contains(model.wBits) { p.append("model.wBits: got \(model.wBits), expected 2...16") }
        p += layerProblems()
        p += tileProblems()
        if !inMesh(input) { p.append("input: got \(input), expected a rectangle inside the \(system.cols)x\(system.rows) mesh") }
        if let b = balance {
            if !layers.dropLast().contains(where: { $0.name == b.layer }) { p.append("balance.layer: got '\(b.layer)', expected a hidden layer's name") }
            if b.images < 1 { p.append("balance.images: got \(b.images), expected at least 1") }
            if b.sourceDigest.count != 64 || !b.sourceDigest.allSatisfy({ "0123456789abcdef".contains($0) }) {
                p.append("balance.sourceDigest: got '\(b.sourceDigest.prefix(80))', expected 64 lower-case hex digits (a SHA-256)")
            }
            for (k, v) in [("busiestBefore", b.busiestBefore), ("busiestAfter", b.busiestAfter), ("meanTile", b.meanTile)] where !(v.isFinite && v >= 0) {
                p.append("balance.\(k): got \(v), expected a finite number of cycles, at least 0")
            }
        }
        if p.isEmpty { p += coverageProblems() }
        return p
    }

    private func inMesh(_ r: TileRect) -> Bool { r.x0 >= 0 && r.y0 >= 0 && r.x0 <= r.x1 && r.y0 <= r.y1 && r.x1 < system.cols && r.y1 < system.rows }

    private func layerProblems() -> [String] {
        let pe = system.pe
        var p: [String] = []
        if !(1 ... pe.layers).contains(layers.count) { p.append("layers: got \(layers.count) layers, expected 1...\(pe.layers) (pe.layers)") }
        var axonBase = 0
        for (k, l) in layers.enumerated() {
            let at = "layers[\(k)] (\(l.name.prefix(40)))"
            if !(1 ... IntegerModel.maxLayerSize).contains(l.inputs) { p.append("\(at).inputs: got \(l.inputs), expected 1...\(IntegerModel.maxLayerSize)") }
            if !(1 ... IntegerModel.maxLayerSize).contains(l.outputs) { p.append("\(at).outputs: got \(l.outputs), expected 1...\(IntegerModel.maxLayerSize)") }
            if k > 0, l.inputs != layers[k - 1].outputs { p.append("\(at).inputs: got \(l.inputs), expected \(layers[k - 1].outputs) (the outputs of layers[\(k - 1)])") }
            if l.isOutput != (k == layers.count - 1) { p.append("\(at).isOutput: got \(l.isOutput), expected \(k == layers.count - 1)") }
            let maxTheta = (Int64(1) << pe.thresholdBits) - 1
            if !l.isOutput, !(1 ... maxTheta).contains(l.threshold) { p.append("\(at).threshold: got \(l.threshold), expected 1...\(maxTheta) (thresholdBits \(pe.thresholdBits))") }
            if l.isOutput, l.threshold < 1 { p.append("\(at).threshold: got \(l.threshold), expected a positive integer") }
            if l.axonBase != axonBase { p.append("\(at).axonBase: got \(l.axonBase), expected \(axonBase) (the inputs of the layers before it)") }
            axonBase = CheckedArithmetic.sum(axonBase, max(0, l.inputs)) ?? Int.max
            if axonBase > pe.axons { p.append("\(at): axons up to \(axonBase), expected at most \(pe.axons) (pe.axons)") }
            let vMax = (Int64(1) << (pe.vBits - 1)) - 1, zMax = (Int64(1) << (pe.zBits - 1)) - 1
            if !(0 ... vMax).contains(l.vBound) { p.append("\(at).vBound: got \(l.vBound), expected 0...\(vMax) (vBits \(pe.vBits))") }
            if !(0 ... zMax).contains(l.zBound) { p.append("\(at).zBound: got \(l.zBound), expected 0...\(zMax) (zBits \(pe.zBits))") }
            if let g = l.geometry { p += geometryProblems(g, layer: l, at: at, previous: k > 0 ? layers[k - 1].geometry : nil) }
        }
        return p
    }

    /// A conv or pool layer's maps against its sizes, its window and the layer before it.
    private func geometryProblems(_ g: LayerGeometry, layer l: LayerPlan, at: String, previous: LayerGeometry?) -> [String] {
        let dims = [g.input.channels, g.input.height, g.input.width, g.output.channels, g.output.height, g.output.width]
        guard dims.allSatisfy({ (1 ... IntegerModel.maxLayerSize).contains($0) }), (1 ... 16).contains(g.size) else {
            return ["\(at).geometry: got \(g.kind.rawValue) \(g.size), \(g.input) -> \(g.output), expected a window of 1...16 and map sides in 1...\(IntegerModel.maxLayerSize)"]
        }
        var p: [String] = []
        if g.input.count != l.inputs { p.append("\(at).geometry.input: got \(g.input) (\(g.input.count)), expected \(l.inputs) inputs") }
        if g.output.count != l.outputs { p.append("\(at).geometry.output: got \(g.output) (\(g.output.count)), expected \(l.outputs) outputs") }
        let expected: FeatureShape = g.kind == .conv
            ? FeatureShape(channels: g.output.channels, height: g.input.height - g.size + 1, width: g.input.width - g.size + 1)
            : FeatureShape(channels: g.input.channels, height: g.input.height / g.size, width: g.input.width / g.size)
        if g.output != expected || (g.kind == .pool && (g.input.height % g.size != 0 || g.input.width % g.size != 0)) {
            p.append("\(at).geometry.output: got \(g.output), expected \(expected) (\(g.kind.rawValue) \(g.size)x\(g.size) of \(g.input))")
        }
        if let previous, previous.output != g.input { p.append("\(at).geometry.input: got \(g.input), expected \(previous.output) (the map before it)") }
        if l.isOutput { p.append("\(at).geometry: got a \(g.kind.rawValue) layer, expected a dense output layer") }
        if g.kind == .conv, g.size > system.pe.maxKernel { p.append("\(at).geometry.size: got \(g.size), expected at most \(system.pe.maxKernel) (pe.maxKernel)") }
        return p
    }

    private func tileProblems() -> [String] {
        let pe = system.pe
        var p: [String] = []
        if tiles.count != system.tiles { return ["tiles: got \(tiles.count) tiles, expected \(system.tiles) (\(system.cols)x\(system.rows), row-major)"] }
        for (i, t) in tiles.enumerated() {
            let at = "tiles[\(i)]"
            if t.x != i % system.cols || t.y != i / system.cols { p.append("\(at): got tile (\(t.x),\(t.y)), expected (\(i % system.cols),\(i / system.cols)) (row-major)") }
            var groups = 0, rows = 0, seen = Set<Int>()
            for (k, s) in t.slices.enumerated() {
                let sat = "\(at).slices[\(k)]"
                p += sliceProblems(s, at: sat)
                if !seen.insert(s.layer).inserted { p.append("\(sat).layer: got \(s.layer) again, expected one slice per layer and tile") }
                if s.firstGroup != groups { p.append("\(sat).firstGroup: got \(s.firstGroup), expected \(groups) (after the slices before it)") }
                if s.firstRow != rows { p.append("\(sat).firstRow: got \(s.firstRow), expected \(rows) (after the slices before it)") }
                groups = CheckedArithmetic.sum(groups, max(0, s.groups)) ?? Int.max
                let inputs = s.inputHi.subtractingReportingOverflow(s.inputLo)
                let sliceRows = s.block.map { max(0, $0.rows) } ?? (inputs.overflow ? nil : CheckedArithmetic.product([max(0, inputs.partialValue), max(0, s.groups)]))
                rows = CheckedArithmetic.sum(rows, sliceRows ?? Int.max) ?? Int.max
            }
            if groups > pe.groups { p.append("\(at): \(groups) neuron groups, expected at most \(pe.groups) (neurons / lanes)") }
            if rows > pe.weightRows { p.append("\(at): \(rows) weight rows, expected at most \(pe.weightRows) (pe.weightRows)") }
        }
        return p
    }

    private func sliceProblems(_ s: Slice, at: String) -> [String] {
        guard layers.indices.contains(s.layer) else { return ["\(at).layer: got \(s.layer), expected 0...\(layers.count - 1)"] }
        let l = layers[s.layer]
        // A layer's own sizes out of range are listed by layerProblems; its slices cannot be judged.
        guard (1 ... IntegerModel.maxLayerSize).contains(l.inputs), (1 ... IntegerModel.maxLayerSize).contains(l.outputs) else { return [] }
        var p: [String] = []
        if !(0 ..< l.outputs).contains(s.neuronLo) || !(s.neuronLo + 1 ... l.outputs).contains(s.neuronHi) {
            p.append("\(at): neurons \(s.neuronLo)..<\(s.neuronHi), expected a non-empty range inside 0..<\(l.outputs) (\(l.name.prefix(40)))")
        }
        if !(0 ..< l.inputs).contains(s.inputLo) || !(s.inputLo + 1 ... l.inputs).contains(s.inputHi) {
            p.append("\(at): inputs \(s.inputLo)..<\(s.inputHi), expected a non-empty range inside 0..<\(l.inputs) (\(l.name.prefix(40)))")
        }
        let lanes = system.pe.lanes
        switch (l.geometry, s.block) {
        case (nil, nil): break
        case (nil, .some): p.append("\(at).block: got a map block, expected none (\(l.name.prefix(40)) is dense)")
        case (.some, nil): p.append("\(at).block: missing, expected the part of \(l.name.prefix(40))'s map the slice holds")
        case let (.some(g), .some(b)): return p + blockProblems(s, b, g, at: at) + targetProblems(s, l, at: at)
        }
        if p.isEmpty, s.groups != (s.neuronHi - s.neuronLo + lanes - 1) / lanes {
            p.append("\(at).groups: got \(s.groups), expected \((s.neuronHi - s.neuronLo + lanes - 1) / lanes) (\(s.neuronHi - s.neuronLo) neurons in \(lanes) lanes)")
        }
        if s.firstGroup < 0 || s.firstRow < 0 { p.append("\(at): firstGroup \(s.firstGroup), firstRow \(s.firstRow), expected both ≥ 0") }
        return p + targetProblems(s, l, at: at)
    }

    private func targetProblems(_ s: Slice, _ l: LayerPlan, at: String) -> [String] {
        var p: [String] = []
        switch (s.target, l.isOutput) {
        case (nil, false): p.append("\(at).target: missing, expected the rectangle of the next layer's tiles")
        case (.some, true): p.append("\(at).target: got a rectangle, expected none (the output layer sends no spikes)")
        case let (.some(r), false) where !inMesh(r): p.append("\(at).target: got \(r), expected a rectangle inside the \(system.cols)x\(system.rows) mesh")
        default: break
        }
        return p
    }

    /// A map block inside its layer's output map, with the groups, rows and neuron span it implies.
    private func blockProblems(_ s: Slice, _ b: MapBlock, _ g: LayerGeometry, at: String) -> [String] {
        let o = g.output, lanes = system.pe.lanes
        guard (0 ..< o.channels).contains(b.channelLo), (b.channelLo + 1 ... o.channels).contains(b.channelHi),
              (0 ..< o.height).contains(b.rowLo), (b.rowLo + 1 ... o.height).contains(b.rowHi)
        else { return ["\(at).block: got \(b), expected non-empty ranges inside the \(o) map"] }
        var p: [String] = []
        let groups = MapLayout.groups(channels: b.channelHi - b.channelLo, rows: b.rowHi - b.rowLo, width: o.width, lanes: lanes)
        let rows = MapLayout.rows(g, channels: b.channelHi - b.channelLo, lanes: lanes)
        if s.groups != groups { p.append("\(at).groups: got \(s.groups), expected \(groups) (\(b) of \(o) in \(lanes) lanes)") }
        if b.rows != rows { p.append("\(at).block.rows: got \(b.rows), expected \(rows) (\(g.kind.rawValue) \(g.size)x\(g.size) over \(g.input.channels) channels)") }
        let span = (o.index(b.channelLo, b.rowLo, 0), o.index(b.channelHi - 1, b.rowHi - 1, o.width - 1) + 1)
        if (s.neuronLo, s.neuronHi) != span { p.append("\(at): neurons \(s.neuronLo)..<\(s.neuronHi), expected \(span.0)..<\(span.1) (the span of \(b))") }
        if s.inputLo != 0 || s.inputHi != g.input.count { p.append("\(at): inputs \(s.inputLo)..<\(s.inputHi), expected 0..<\(g.input.count) (a map block reads the whole input map)") }
        if !s.holdsBias { p.append("\(at).holdsBias: got false, expected true (a map block holds its neurons' whole fan-in)") }
        if s.firstGroup < 0 || s.firstRow < 0 { p.append("\(at): firstGroup \(s.firstGroup), firstRow \(s.firstRow), expected both ≥ 0") }
        return p
    }

    /// Every (neuron, input) pair of every layer on exactly one slice, every bias on exactly one.
    private func coverageProblems() -> [String] {
        var p: [String] = []
        let all = tiles.flatMap { t in t.slices.map { (tile: t, slice: $0) } }
        for (k, l) in layers.enumerated() {
            let mine = all.filter { $0.slice.layer == k }
            if let g = l.geometry {
                // The blocks tile the output map (channels x rows) exactly.
                let blocks = mine.compactMap(\.slice.block)
                for a in blocks.indices {
                    for b in blocks.indices where b > a {
                        let s = blocks[a], t = blocks[b]
                        if s.channelLo < t.channelHi && t.channelLo < s.channelHi && s.rowLo < t.rowHi && t.rowLo < s.rowHi {
                            p.append("\(l.name.prefix(40)): tiles (\(mine[a].tile.x),\(mine[a].tile.y)) and (\(mine[b].tile.x),\(mine[b].tile.y)) both hold \(s) and \(t), expected disjoint blocks")
                        }
                    }
                }
                let area = blocks.reduce(0) { $0 + ($1.channelHi - $1.channelLo) * ($1.rowHi - $1.rowLo) }
                if p.isEmpty, area != g.output.channels * g.output.height {
                    p.append("\(l.name.prefix(40)): the blocks cover \(area) channel rows, expected \(g.output.channels * g.output.height) (\(g.output))")
                }
                continue
            }
            let area = mine.reduce(0) { $0 + ($1.slice.neuronHi - $1.slice.neuronLo) * ($1.slice.inputHi - $1.slice.inputLo) }
            let biasNeurons = mine.filter(\.slice.holdsBias).reduce(0) { $0 + $1.slice.neuronHi - $1.slice.neuronLo }
            for a in mine.indices {
                for b in mine.indices where b > a {
                    let s = mine[a].slice, t = mine[b].slice
                    let neurons = s.neuronLo < t.neuronHi && t.neuronLo < s.neuronHi
                    if neurons && s.inputLo < t.inputHi && t.inputLo < s.inputHi {
                        p.append("\(l.name.prefix(40)): tiles (\(mine[a].tile.x),\(mine[a].tile.y)) and (\(mine[b].tile.x),\(mine[b].tile.y)) both hold synapses of neurons \(max(s.neuronLo, t.neuronLo))..<\(min(s.neuronHi, t.neuronHi)), expected each synapse on one tile")
                    } else if neurons && s.holdsBias && t.holdsBias {
                        p.append("\(l.name.prefix(40)): tiles (\(mine[a].tile.x),\(mine[a].tile.y)) and (\(mine[b].tile.x),\(mine[b].tile.y)) both hold the bias of neurons \(max(s.neuronLo, t.neuronLo))..<\(min(s.neuronHi, t.neuronHi)), expected one")
                    }
                }
            }
            if p.isEmpty, area != l.outputs * l.inputs { p.append("\(l.name.prefix(40)): the slices hold \(area) synapses, expected \(l.outputs * l.inputs) (\(l.outputs) x \(l.inputs))") }
            if p.isEmpty, biasNeurons != l.outputs { p.append("\(l.name.prefix(40)): the slices hold \(biasNeurons) biases, expected \(l.outputs)") }
        }
        return p
    }

    /// The plan against the model it names: the model's identity, then every field of the plan
    /// against the plan the compiler makes of that model for the same hardware and policy.
    public func problems(against model: IntegerModel) -> [String] {
        var p: [String] = []
        let arch = model.architecture.description
        if model.digest != self.model.digest { p.append("model.digest: got \(self.model.digest.prefix(16))…, expected \(model.digest.prefix(16))… (the model's)") }
        if arch != self.model.architecture { p.append("model.architecture: got \(self.model.architecture), expected \(arch)") }
        if model.inputBits != self.model.inputBits { p.append("model.inputBits: got \(self.model.inputBits), expected \(model.inputBits)") }
        if model.wBits != self.model.wBits { p.append("model.wBits: got \(self.model.wBits), expected \(model.wBits)") }
        if !p.isEmpty { return p }
        let options = CompileOptions(cols: system.cols, rows: system.rows, policy: policy, pe: system.pe, fixed: CompileOptions.chosenFields)
        let expected: SystemPlan
        do { expected = try Compiler.compile(model, options) } catch {
            return ["the model cannot be compiled for this system: \(error)"]
        }
        var mine = self, theirs = expected
        mine.generator = ""
        theirs.generator = ""
        // The compiler renumbers neurons only when asked to; `model/` holds the renumbered model.
        mine.balance = nil
        return JSONDocument.differences(mine, theirs, limit: 20).map { "\($0) (what the compiler makes of the model)" }
    }
}
