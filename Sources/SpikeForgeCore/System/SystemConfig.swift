/// The hardware of a whole SpikeForge system (SPEC §3–4): a `cols × rows` mesh of identical PE
/// tiles (`PEConfig`) with the host port on the west edge of tile (0, 0).
///
/// The compiler (`Compiler`) resolves one from a trained model; `spikeforge generate system`
/// builds its RTL and `SystemModel` its cycle model. The reference system is 6 × 7.
public struct SystemConfig: BlockConfig {
    public static let blockName = "system"
    /// The reference system: 6 × 7 tiles of the default PE with an axon space for 784-800-10,
    /// and a 64-entry output FIFO per core: a tile's spike bursts (up to one per cycle) wait
    /// there instead of stalling its pipeline, and with it the input multicast every tile
    /// shares (on MNIST 784-800-10, spread: 1.98x the lower bound with 64 entries, 2.94x with 4,
    /// 2.58x with every core FIFO at 16, 5.1x with a 64-entry input FIFO; docs/SYSTEM.md), and a
    /// 64-entry spike FIFO, so the compute stage sends a burst of spikes while store looks up
    /// their targets (placed from profiled activity: 1.61x with 4 entries, 1.53x with 64 on
    /// 1,000 test images; the main job's 3x3 design 1.55x against 1.49x).
    public static let defaultConfig = SystemConfig(cols: 6, rows: 7, pe: PEConfig(vBits: 24, zBits: 12, axons: 2048, spikeFIFODepth: 64, outFIFODepth: 64))
    public var cols: Int { pe.cols }
    public var rows: Int { pe.rows }
    /// Every tile's configuration; its `cols` and `rows` are the mesh.
    public var pe: PEConfig

    public init(cols: Int, rows: Int, pe: PEConfig) {
        var p = pe
        p.cols = cols
        p.rows = rows
        self.pe = p
    }

    public var tiles: Int { cols * rows }
    /// Bits of every tile's SRAMs (`PEConfig.sramBits` × tiles): active or not, each tile is built.
    public var sramBits: Int { tiles * pe.sramBits }

    /// The PE's fields under `pe.` (the mesh size is `pe.cols` and `pe.rows`), as `validate()`
    /// names their violations.
    public static var fields: [ConfigField] { PEConfig.fields.map { $0.renamed("pe." + $0.name) } }

    public func validate() throws(ConfigError) {
        do {
            try pe.validate()
        } catch {
            throw ConfigError.invalid(block: "SystemConfig", violations: error.violations.map { .init(field: "pe.\($0.field)", value: $0.value, expected: $0.expected) })
        }
    }

    public var moduleName: String { "SpikeSystem_" + pe.moduleName.replacingOccurrences(of: "PETile_", with: "") }

    /// The top-level parameter that carries the `$readmemh` image of memory `m` of tile (x, y).
    public static func initParameter(x: Int, y: Int, _ m: PEMemory) -> String { "INIT_X\(x)_Y\(y)_\(m.rtlName.uppercased())" }
}
