import SpikeForgeCore
import Trainer

/// What the compiler may choose and what the user fixed.
public struct CompileOptions: Sendable {
    public var cols: Int
    public var rows: Int
    public var policy: PlacementPolicy
    /// The tile hardware (neurons, lanes, weight rows, FIFOs, flits, ...). The compiler picks
    /// `vBits`, `zBits`, `thresholdBits`, `axons` and `layers` unless `fixed` names them.
    public var pe: PEConfig
    public var fixed: Set<String>
    /// The PE fields the compiler picks unless the user fixes them.
    public static let chosenFields: Set<String> = ["vBits", "zBits", "thresholdBits", "wBits", "axons", "layers"]

    public init(cols: Int = 6, rows: Int = 7, policy: PlacementPolicy = .spread, pe: PEConfig = SystemConfig.defaultConfig.pe, fixed: Set<String> = []) {
        self.cols = cols
        self.rows = rows
        self.policy = policy
        self.pe = pe
        self.fixed = fixed
    }
}

/// Model to mesh (docs/SYSTEM.md): range analysis, hardware widths, placement, targets, and the
/// capacity and safety checks.
public enum Compiler {
    public static func compile(_ model: IntegerModel, _ o: CompileOptions) throws(CompileError) -> SystemPlan {
        let bounds: [RangeAnalysis.Bounds]
        do { bounds = try RangeAnalysis.analyze(model) } catch {
            throw .rangeOverflow(violations: [.init(field: "layer \(error.layer)", value: error.what, expected: "at most \(error.limit)")])
        }
        // The mesh holds dense layers so far; a conv or pooling layer would be unrolled, which
        // SPEC §6 rules out.
        let unmapped = model.layers.filter { $0.kind != .dense }
        if !unmapped.isEmpty {
            throw .doesNotFit(model: model.layers.map(\.spec.description).joined(separator: "-"), mesh: "\(o.cols)x\(o.rows)",
                              violations: unmapped.map { .init(field: "layer \($0.name)", value: $0.spec.description, expected: "a dense layer (the compiler maps dense layers only so far; conv and pooling need tiles that address shared kernels, SPEC §6)") })
        }
        let own = o.pe.fieldViolations()
        if !own.isEmpty { throw .hardware(.invalid(block: "PEConfig", violations: own)) }
        guard !model.layers.isEmpty else { throw .doesNotFit(model: "(no layers)", mesh: "\(o.cols)x\(o.rows)", violations: [.init(field: "layers", value: "0", expected: "at least 1")]) }
        var pe = o.pe
        pe.cols = o.cols
        pe.rows = o.rows
        let arch = model.architecture.description
        // Widths.
        let vNeed = max(RangeAnalysis.signedBits(bounds.map(\.vBound).max() ?? 0), model.layers.map { RangeAnalysis.signedBits($0.bias.map { abs($0) }.max() ?? 0) }.max() ?? 0)
        let zNeed = max(2, RangeAnalysis.signedBits(bounds.map(\.zBound).max() ?? 0))
        let tNeed = RangeAnalysis.unsignedBits(model.layers.filter { !$0.isOutput }.map(\.threshold).max() ?? 1)
        var range: [ConfigViolation] = []
        func pick(_ key: String, _ current: inout Int, need: Int, what: String) {
            if o.fixed.contains(key) {
                if current < need { range.append(.init(field: key, value: "\(current)", expected: "at least \(need): \(what)")) }
            } else {
                current = need
            }
        }
        let worstV = zip(model.layers, bounds).max { $0.1.vBound < $1.1.vBound } ?? (model.layers[0], bounds[0])
        let worstZ = zip(model.layers, bounds).max { $0.1.zBound < $1.1.zBound } ?? (model.layers[0], bounds[0])
        pick("thresholdBits", &pe.thresholdBits, need: tNeed, what: "the largest threshold θ is \(model.layers.filter { !$0.isOutput }.map(\.threshold).max() ?? 0)")
        pick("zBits", &pe.zBits, need: zNeed, what: "|z| can reach \(bounds.map(\.zBound).max() ?? 0) (layer \(worstZ.0.name))")
        let vHW = max(pe.wBits, pe.thresholdBits + 1) + 1
        pick("vBits", &pe.vBits, need: max(vNeed, vHW), what: "|V| can reach \(worstV.1.vBound) (layer \(worstV.0.name))")
        if !range.isEmpty { throw .rangeOverflow(violations: range) }
        if !o.fixed.contains("wBits") { pe.wBits = max(pe.wBits, model.wBits) }
        var fit: [ConfigViolation] = []
        if pe.wBits < model.wBits { fit.append(.init(field: "wBits", value: "\(pe.wBits)", expected: "at least the model's \(model.wBits)")) }
        let axonsNeeded = model.layers.map(\.inputs).reduce(0, +)
        // Axons are a capacity, not a range: a fixed count too small is a `doesNotFit` below.
        if !o.fixed.contains("axons") { pe.axons = PEConfig.pow2(axonsNeeded) }
        if pe.axons < axonsNeeded { fit.append(.init(field: "axons", value: "\(pe.axons)", expected: "at least \(axonsNeeded): one axon id per input of every layer")) }
        if !o.fixed.contains("layers") { pe.layers = model.layers.count }
        if pe.layers < model.layers.count { fit.append(.init(field: "layers", value: "\(pe.layers)", expected: "at least \(model.layers.count): one parameter slot per layer")) }
        if model.inputBits > 8 { fit.append(.init(field: "inputBits", value: "\(model.inputBits)", expected: "at most 8")) }
        let mesh = "\(o.cols)x\(o.rows)"
        do { try pe.validate() } catch { throw .hardware(error) }
        if !fit.isEmpty { throw .doesNotFit(model: arch, mesh: mesh, violations: fit) }
        let system = SystemConfig(cols: o.cols, rows: o.rows, pe: pe)

        var axonBase = 0
        var layers: [LayerPlan] = []
        for (l, b) in zip(model.layers, bounds) {
            layers.append(LayerPlan(name: l.name, inputs: l.inputs, outputs: l.outputs, mode: l.mode, threshold: l.threshold, flush: l.flush,
                                    isOutput: l.isOutput, axonBase: axonBase, vBound: b.vBound, zBound: b.zBound))
            axonBase += l.inputs
        }
        var placer = Placer(system: system, layers: layers, arch: arch)
        let (tiles, input) = try placer.place(o.policy)
        let plan = SystemPlan(system: system, policy: o.policy,
                              model: ModelIdentity(architecture: arch, digest: model.digest, inputBits: model.inputBits, wBits: model.wBits),
                              layers: layers, tiles: tiles, input: input)
        try Safety.check(plan)
        return plan
    }
}

/// Places layers on tiles. Tiles are taken sink first (row-major from (0, 0), next to the
/// host) and layers output first, so every spike travels north or west (or east in a row below
/// the host's), never on the links the host's input multicast uses (docs/SYSTEM.md).
struct Placer {
    let system: SystemConfig
    let layers: [LayerPlan]
    let arch: String
    var tiles: [TilePlan]
    var violations: [ConfigViolation] = []

    init(system: SystemConfig, layers: [LayerPlan], arch: String) {
        self.system = system
        self.layers = layers
        self.arch = arch
        var t: [TilePlan] = []
        for y in 0 ..< system.rows { for x in 0 ..< system.cols { t.append(TilePlan(x: x, y: y, slices: [])) } }
        tiles = t
    }

    var lanes: Int { system.pe.lanes }
    func groups(_ neurons: Int) -> Int { (neurons + lanes - 1) / lanes }
    func index(_ x: Int, _ y: Int) -> Int { y * system.cols + x }

    mutating func place(_ policy: PlacementPolicy) throws(CompileError) -> ([TilePlan], TileRect) {
        let input: TileRect
        if policy == .spread && layers.count >= 2 && system.tiles >= 2 {
            input = spread()
        } else {
            input = fill(even: policy == .spread)
        }
        if !violations.isEmpty { throw .doesNotFit(model: arch, mesh: "\(system.cols)x\(system.rows)", violations: violations) }
        return (tiles, input)
    }

    /// Adds a slice to a tile, after the tile's existing groups and rows.
    mutating func add(_ t: Int, layer: Int, neurons: Range<Int>, inputs: Range<Int>, bias: Bool) {
        let g = groups(neurons.count)
        let s = Slice(layer: layer, neuronLo: neurons.lowerBound, neuronHi: neurons.upperBound, inputLo: inputs.lowerBound, inputHi: inputs.upperBound,
                      firstGroup: tiles[t].groupsUsed, groups: g, firstRow: tiles[t].rowsUsed, holdsBias: bias, target: nil)
        tiles[t].slices.append(s)
    }

    /// Checks every tile's groups and weight rows.
    mutating func checkCapacity() {
        let pe = system.pe
        for t in tiles where !t.slices.isEmpty {
            let parts = t.slices.map { "\(layers[$0.layer].name) \($0.rows)" }.joined(separator: " + ")
            if t.rowsUsed > pe.weightRows {
                violations.append(.init(field: "tile (\(t.x),\(t.y)) weight rows", value: "\(t.rowsUsed) needed (\(parts))", expected: "at most weightRows = \(pe.weightRows)"))
            }
            if t.groupsUsed > pe.groups {
                violations.append(.init(field: "tile (\(t.x),\(t.y)) neurons", value: "\(t.groupsUsed * lanes) needed", expected: "at most neurons = \(pe.neurons)"))
            }
        }
    }

    /// Splits `groups` over `n` shares as evenly as possible (earlier shares get the extra).
    static func split(_ groups: Int, _ n: Int) -> [Int] { (0 ..< n).map { groups / n + ($0 < groups % n ? 1 : 0) } }

    /// Fill: each layer (output first) on the fewest tiles its weight rows and neurons allow,
    /// or (`even`) the same number of tiles with the groups shared out evenly. A layer that
    /// spans more than one row ends its rows, so the rectangle its inputs are sent to holds no
    /// tile of an earlier layer.
    mutating func fill(even: Bool) -> TileRect {
        let pe = system.pe
        var next = 0
        var rects: [Int: TileRect] = [:]
        for l in layers.indices.reversed() {
            let layer = layers[l]
            let perTile = min(pe.groups, pe.weightRows / max(1, layer.inputs))
            let g = groups(layer.outputs)
            if perTile == 0 {
                violations.append(.init(field: "\(layer.name) fan-in", value: "\(layer.inputs) inputs: one group of \(lanes) neurons needs \(layer.inputs) weight rows",
                                        expected: "at most weightRows = \(pe.weightRows) (use --policy spread for an output layer, or more weight rows)"))
                return TileRect.tile(0, 0)
            }
            let count = (g + perTile - 1) / perTile
            guard next + count <= system.tiles else {
                let used = layers.indices.reversed().prefix { $0 > l }.count
                violations.append(.init(field: "tiles", value: "\(next + count) needed (\(layer.name): \(count) tiles of at most \(perTile * lanes) neurons; \(used) later layer(s): \(next) tiles)",
                                        expected: "at most the \(system.cols)x\(system.rows) mesh's \(system.tiles)"))
                return TileRect.tile(0, 0)
            }
            let shares = even ? Self.split(g, count) : (0 ..< count).map { min(perTile, g - $0 * perTile) }
            var neuron = 0
            for (k, s) in shares.enumerated() {
                let hi = min(layer.outputs, neuron + s * lanes)
                add(next + k, layer: l, neurons: neuron ..< hi, inputs: 0 ..< layer.inputs, bias: true)
                neuron = hi
            }
            let first = next, last = next + count - 1
            let (fx, fy) = (first % system.cols, first / system.cols), (lx, ly) = (last % system.cols, last / system.cols)
            rects[l] = fy == ly ? TileRect(x0: fx, x1: lx, y0: fy, y1: fy) : TileRect(x0: 0, x1: system.cols - 1, y0: fy, y1: ly)
            next = fy == ly ? last + 1 : (ly + 1) * system.cols
        }
        for t in tiles.indices {
            for s in tiles[t].slices.indices where !layers[tiles[t].slices[s].layer].isOutput {
                tiles[t].slices[s].target = rects[tiles[t].slices[s].layer + 1]
            }
        }
        checkCapacity()
        return rects[0]!
    }

    /// Spread: the last hidden layer on every tile of its band but the band's sink (0, r0). The
    /// band's tiles form one path to the sink (west in row r0, alternately east and west in the
    /// rows below, north between rows); each tile sends its spikes one hop along it, to the
    /// next tile, which holds the output layer's partial sum over exactly those inputs. Earlier hidden layers get
    /// bands of whole rows below, in proportion to their synaptic work.
    mutating func spread() -> TileRect {
        let L = layers.count, cols = system.cols
        let last = L - 2
        // Row bands: band 0 (top) holds layers last and L-1; layer last-1 is below it, and so on.
        let earlier = last  // layers 0..<last get their own bands
        var bandRows = [Int](repeating: 1, count: earlier + 1)
        if system.rows < earlier + 1 {
            violations.append(.init(field: "rows", value: "\(system.rows)", expected: "at least \(earlier + 1) for spread: one band of rows per hidden layer"))
            return .tile(0, 0)
        }
        let work = (0 ... earlier).map { b -> Double in
            b == 0 ? Double(layers[last].inputs * layers[last].outputs + layers[L - 1].inputs * layers[L - 1].outputs)
                : Double(layers[last - b].inputs * layers[last - b].outputs)
        }
        for _ in 0 ..< (system.rows - bandRows.reduce(0, +)) {
            let k = (0 ... earlier).max { work[$0] / Double(bandRows[$0]) < work[$1] / Double(bandRows[$1]) }!
            bandRows[k] += 1
        }
        var bandStart = [Int](repeating: 0, count: earlier + 1)
        for b in 1 ... max(1, earlier) where b <= earlier { bandStart[b] = bandStart[b - 1] + bandRows[b - 1] }
        func band(_ b: Int) -> TileRect { TileRect(x0: 0, x1: cols - 1, y0: bandStart[b], y1: bandStart[b] + bandRows[b] - 1) }
        // Band 0: one path through every tile, ending at the sink (0, r0): west along row r0,
        // and in the rows below alternately east and west (a boustrophedon), so every tile
        // but the first receives the spikes of exactly one other. Listed from the sink.
        let r0 = bandStart[0], r1 = r0 + bandRows[0] - 1
        var path: [(Int, Int)] = []
        for y in r0 ... r1 {
            let xs = Array(0 ..< cols)
            path += ((y - r0) % 2 == 0 ? xs : xs.reversed()).map { ($0, y) }
        }
        if path.count < 2 {
            violations.append(.init(field: "mesh", value: "1x1", expected: "at least 2 tiles for spread"))
            return .tile(0, 0)
        }
        let hidden = layers[last], output = layers[L - 1]
        let shares = Self.split(groups(hidden.outputs), path.count - 1)
        var neuron = 0
        var sources: [Int: [Range<Int>]] = [:]
        for (k, s) in zip(1 ..< path.count, shares) where s > 0 {
            let (x, y) = path[k], (sx, sy) = path[k - 1]
            let hi = min(hidden.outputs, neuron + s * lanes)
            let t = index(x, y)
            add(t, layer: last, neurons: neuron ..< hi, inputs: 0 ..< hidden.inputs, bias: true)
            tiles[t].slices[tiles[t].slices.count - 1].target = .tile(sx, sy)
            sources[index(sx, sy), default: []].append(neuron ..< hi)
            neuron = hi
        }
        let sinkTile = index(0, r0)
        for t in sources.keys.sorted() {
            let rs = sources[t]!.sorted { $0.lowerBound < $1.lowerBound }
            for (a, b) in zip(rs, rs.dropFirst()) { precondition(a.upperBound == b.lowerBound, "spread: partial-sum inputs are not contiguous") }
            add(t, layer: L - 1, neurons: 0 ..< output.outputs, inputs: rs.first!.lowerBound ..< rs.last!.upperBound, bias: t == sinkTile)
        }
        if sources[sinkTile] == nil {
            // Only possible when every hidden neuron sits elsewhere; keep the bias somewhere.
            add(sinkTile, layer: L - 1, neurons: 0 ..< output.outputs, inputs: 0 ..< 0, bias: true)
        }
        // Earlier hidden layers: spread evenly over their bands, sending to the band above.
        for b in 1 ..< max(1, earlier + 1) where b <= earlier {
            let l = last - b, layer = layers[l]
            let r = band(b)
            let ts = (r.y0 ... r.y1).flatMap { y in (0 ..< cols).map { index($0, y) } }
            var n = 0
            for (t, s) in zip(ts, Self.split(groups(layer.outputs), ts.count)) where s > 0 {
                let hi = min(layer.outputs, n + s * lanes)
                add(t, layer: l, neurons: n ..< hi, inputs: 0 ..< layer.inputs, bias: true)
                tiles[t].slices[tiles[t].slices.count - 1].target = band(b - 1)
                n = hi
            }
        }
        checkCapacity()
        return band(earlier)
    }
}

/// The conditions under which the system cannot deadlock (docs/SYSTEM.md):
/// - the tile-level spike graph is acyclic (no tile feeds itself, directly or through others);
/// - no spike ever moves south, or east in row 0: those are the links the host's X-Y input
///   multicast (east along row 0, then south) occupies, so a spike never waits behind an input
///   flit that waits for the spike's own source tile. (East in the rows below is free: input
///   flits only cross those rows southwards.)
enum Safety {
    static func check(_ plan: SystemPlan) throws(CompileError) {
        let cols = plan.system.cols
        var edges: [Int: Set<Int>] = [:]
        var problems: [ConfigViolation] = []
        for t in plan.tiles {
            for s in t.slices {
                guard let r = s.target else { continue }
                if r.y1 > t.y || (t.y == 0 && r.x1 > t.x) {
                    problems.append(.init(field: "tile (\(t.x),\(t.y)) \(plan.layers[s.layer].name) target", value: "\(r)",
                                          expected: "tiles north or west of the source (no southward hop, no eastward hop in row 0)"))
                }
                for y in r.y0 ... r.y1 { for x in r.x0 ... r.x1 { edges[t.y * cols + t.x, default: []].insert(y * cols + x) } }
            }
        }
        // Cycle check (depth-first).
        var state = [Int: Int]()
        func visit(_ v: Int) -> Bool {
            if state[v] == 1 { return false }
            if state[v] == 2 { return true }
            state[v] = 1
            for w in edges[v] ?? [] where !visit(w) { return false }
            state[v] = 2
            return true
        }
        for v in edges.keys.sorted() where !visit(v) {
            problems.append(.init(field: "tile graph", value: "a cycle through tile (\(v % cols),\(v / cols))", expected: "an acyclic graph: a tile that feeds itself can deadlock"))
            break
        }
        if !problems.isEmpty { throw .doesNotFit(model: plan.model.architecture, mesh: "\(cols)x\(plan.system.rows)", violations: problems) }
    }
}
