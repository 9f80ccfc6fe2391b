import Foundation
import SpikeForgeCore
import Trainer

/// How the compiler spreads a network over the mesh (docs/SYSTEM.md).
public enum PlacementPolicy: String, Codable, CaseIterable, Sendable {
    /// Fewest tiles: each layer packs its neurons into as few tiles as its weight rows allow.
    case fill
    /// Most parallelism: every tile holds a share of the last hidden layer, and the output
    /// layer is split by fan-in into partial sums next to it (the host adds them up).
    case spread
}

/// A rectangle of tiles (a spike packet's destination).
public struct TileRect: Codable, Hashable, Sendable, CustomStringConvertible {
    public var x0: Int, x1: Int, y0: Int, y1: Int
    public init(x0: Int, x1: Int, y0: Int, y1: Int) {
        self.x0 = min(x0, x1)
        self.x1 = max(x0, x1)
        self.y0 = min(y0, y1)
        self.y1 = max(y0, y1)
    }

    public static func tile(_ x: Int, _ y: Int) -> TileRect { TileRect(x0: x, x1: x, y0: y, y1: y) }
    public func contains(_ x: Int, _ y: Int) -> Bool { (x0 ... x1).contains(x) && (y0 ... y1).contains(y) }
    public var description: String { x0 == x1 && y0 == y1 ? "(\(x0),\(y0))" : "(\(x0)..\(x1),\(y0)..\(y1))" }
}

/// One network layer as the hardware holds it.
public struct LayerPlan: Codable, Hashable, Sendable {
    public var name: String
    public var inputs: Int
    public var outputs: Int
    public var mode: NeuronMode
    /// θ of the layer; the hardware stores 0 for the output layer, which never fires.
    public var threshold: Int64
    public var flush: Bool
    public var isOutput: Bool
    /// Input `j` of this layer arrives as axon id `axonBase + j` (one axon space for the system).
    public var axonBase: Int
    /// Range analysis: bounds on `|V|` and `|z|` over every input and spike order.
    public var vBound: Int64
    public var zBound: Int64
    /// A convolution's or pooling layer's maps and window (nil for a dense layer).
    public var geometry: LayerGeometry?

    public init(name: String, inputs: Int, outputs: Int, mode: NeuronMode, threshold: Int64, flush: Bool, isOutput: Bool,
                axonBase: Int, vBound: Int64, zBound: Int64, geometry: LayerGeometry? = nil) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.mode = mode
        self.threshold = threshold
        self.flush = flush
        self.isOutput = isOutput
        self.axonBase = axonBase
        self.vBound = vBound
        self.zBound = zBound
        self.geometry = geometry
    }
}

extension LayerPlan {
    /// The neurons one input drives, on average over the layer's inputs.
    public var meanFanOut: Double {
        guard let g = geometry else { return Double(outputs) }
        switch g.kind {
        case .conv:
            return Double(g.output.channels * g.size * g.size) * Double(g.output.height * g.output.width) / Double(g.input.height * g.input.width)
        case .pool: return 1
        }
    }
}

/// What the hardware needs of a conv or pool layer (SPEC §6, docs/SYSTEM.md "Convolutional
/// layers"): its kind, window and the maps (channel-major, as the axon ids number them).
public struct LayerGeometry: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, CaseIterable, Sendable { case conv, pool }
    public var kind: Kind
    /// The kernel (conv) or the pooling window and stride (pool).
    public var size: Int
    public var input: FeatureShape
    public var output: FeatureShape

    public init(kind: Kind, size: Int, input: FeatureShape, output: FeatureShape) {
        self.kind = kind
        self.size = size
        self.input = input
        self.output = output
    }

    /// The geometry of a model layer (nil for dense).
    public init?(_ l: IntegerLayer) {
        switch l.kind {
        case .dense: return nil
        case let .conv(k): self.init(kind: .conv, size: k, input: l.inputShape, output: l.outputShape)
        case let .pool(k): self.init(kind: .pool, size: k, input: l.inputShape, output: l.outputShape)
        }
    }
}

/// The part of a conv or pool layer's output map one slice holds: channels
/// `channelLo..<channelHi` at output rows `rowLo..<rowHi`, every column; and the weight rows it
/// stores (each kernel once, or the one-hot rows of a pooling slice).
public struct MapBlock: Codable, Hashable, Sendable, CustomStringConvertible {
    public var channelLo: Int, channelHi: Int
    public var rowLo: Int, rowHi: Int
    public var rows: Int

    public init(channelLo: Int, channelHi: Int, rowLo: Int, rowHi: Int, rows: Int) {
        self.channelLo = channelLo
        self.channelHi = channelHi
        self.rowLo = rowLo
        self.rowHi = rowHi
        self.rows = rows
    }

    public var description: String { "channels \(channelLo)..<\(channelHi), rows \(rowLo)..<\(rowHi)" }
}

/// Part of one layer on one tile: neurons `neuronLo..<neuronHi` over inputs `inputLo..<inputHi`
/// (the whole fan-in, or one partial sum of an output layer split by fan-in).
public struct Slice: Codable, Hashable, Sendable {
    public var layer: Int
    public var neuronLo: Int, neuronHi: Int
    public var inputLo: Int, inputHi: Int
    public var firstGroup: Int, groups: Int
    public var firstRow: Int
    /// Whether this slice starts from the bias (exactly one slice per neuron does).
    public var holdsBias: Bool
    /// Where the slice's spikes go (nil for the output layer).
    public var target: TileRect?
    /// A conv or pool slice's part of the output map (nil for a dense slice). Its neurons are
    /// not one flat range: `neuronLo..<neuronHi` then spans the block's first to last neuron.
    public var block: MapBlock?

    public init(layer: Int, neuronLo: Int, neuronHi: Int, inputLo: Int, inputHi: Int, firstGroup: Int, groups: Int, firstRow: Int,
                holdsBias: Bool, target: TileRect?, block: MapBlock? = nil) {
        self.layer = layer
        self.neuronLo = neuronLo
        self.neuronHi = neuronHi
        self.inputLo = inputLo
        self.inputHi = inputHi
        self.firstGroup = firstGroup
        self.groups = groups
        self.firstRow = firstRow
        self.holdsBias = holdsBias
        self.target = target
        self.block = block
    }

    /// Weight rows: one per input per group for a dense slice; a map block's own count.
    public var rows: Int { block?.rows ?? (inputHi - inputLo) * groups }
}

public struct TilePlan: Codable, Hashable, Sendable {
    public var x: Int, y: Int
    public var slices: [Slice]
    public var rowsUsed: Int { slices.map(\.rows).reduce(0, +) }
    public var groupsUsed: Int { slices.map(\.groups).reduce(0, +) }
}

/// What the images were compiled from.
public struct ModelIdentity: Codable, Hashable, Sendable {
    public var architecture: String
    /// SHA-256 over the integer model (weights, biases, thresholds, modes, input and weight bits).
    public var digest: String
    public var inputBits: Int
    public var wBits: Int
}

/// The resolved system: hardware, placement and everything the host driver needs. Written as
/// `system.json` by `spikeforge export`; `spikeforge generate system --config` reads its
/// `system` field.
public struct SystemPlan: Codable, Hashable, Sendable {
    public var format = "spikeforge-system"
    public var formatVersion = 1
    public var generator = "spikeforge \(SpikeForgeVersion.string)"
    public var system: SystemConfig
    public var policy: PlacementPolicy
    public var model: ModelIdentity
    public var layers: [LayerPlan]
    /// Every tile, row-major (tile (x, y) is `tiles[y * cols + x]`).
    public var tiles: [TilePlan]
    /// Where the host sends input spikes.
    public var input: TileRect
    /// Set when the compiler renumbered a hidden layer from profiled activity (`export
    /// --profile`): what it was profiled on and the predicted loads before and after.
    public var balance: BalanceRecord?

    public func tile(_ x: Int, _ y: Int) -> TilePlan { tiles[y * system.cols + x] }
    public var activeTiles: Int { tiles.filter { !$0.slices.isEmpty }.count }
    public var outputLayer: Int { layers.count - 1 }

    public func json() throws -> String { try CanonicalJSON.encode(self, pretty: true) + "\n" }

}

extension IntegerModel {
    /// SHA-256 over everything the hardware computes with.
    public var digest: String {
        var d = Data()
        func put(_ v: Int64) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        put(Int64(inputBits))
        put(Int64(wBits))
        for l in layers {
            d.append(contentsOf: Array(l.name.utf8))
            for v in [Int64(l.inputs), Int64(l.outputs), l.threshold, Int64(l.mode.code), l.flush ? 1 : 0, l.isOutput ? 1 : 0] { put(v) }
            // Conv and pooling layers add their kind, kernel and maps; dense layers are hashed as
            // they always were, so their digests do not change.
            let (i, o) = (l.inputShape, l.outputShape)
            switch l.kind {
            case .dense: break
            case let .conv(k): for v in [1, k, i.channels, i.height, i.width, o.channels, o.height, o.width] { put(Int64(v)) }
            case let .pool(k): for v in [2, k, i.channels, i.height, i.width, o.channels, o.height, o.width] { put(Int64(v)) }
            }
            for w in l.weights { put(Int64(w)) }
            for b in l.bias { put(b) }
        }
        return Checksum.sha256(d)
    }
}
