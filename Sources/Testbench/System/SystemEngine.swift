import Compiler
import CycleModels
import Foundation
import Generators
import SpikeForgeCore
import VerilatorBridge

extension SystemModel {
    /// The backdoor: every tile's SRAMs set directly, as `$readmemh` sets the RTL's.
    public mutating func load(_ images: SystemImages) {
        for (k, img) in images.tiles.enumerated() { load(tile: k, img) }
    }

    /// Event counts summed over every tile since construction (`cycles`: tile-cycles).
    public var counters: PECoreModel.Counters { cores.map(\.counters).reduce(PECoreModel.Counters(), +) }

    /// What the energy estimate and the per-tile load count: every core's events (row-major,
    /// as `cores`) and the mesh's flit-hops.
    public var activity: (tiles: [PECoreModel.Counters], hops: Int) { (cores.map(\.counters), mesh.flitHops) }
}

/// The two engines a compiled system runs on.
public enum SystemEngines {
    /// The `-G` parameters that point every tile's `INIT_*` at the image set in `dir` (as
    /// `SystemImages.write` names the files).
    public static func backdoorParameters(_ c: SystemConfig, imagesDir dir: URL) -> [String: String] {
        var p: [String: String] = [:]
        for y in 0 ..< c.rows {
            for x in 0 ..< c.cols {
                for m in c.pe.srams {
                    p[SystemConfig.initParameter(x: x, y: y, m)] = "\"\(dir.appendingPathComponent(SystemImages.fileStem(x: x, y: y, m) + ".hex").path)\""
                }
            }
        }
        return p
    }

    /// The Verilated system: with `imagesDir`, its SRAMs load those images by `$readmemh`;
    /// without, they start empty for configuration packets. `threads`: Verilator's `--threads`.
    public static func verilator(_ c: SystemConfig, imagesDir: URL?, builder: VerilatorBuild, trace: Bool = false, threads: Int = 1) throws -> (VerilatedModel, BuiltModel) {
        let params = imagesDir.map { backdoorParameters(c, imagesDir: $0) } ?? [:]
        let built = try builder.build(try SystemGenerator.design(c), options: BuildOptions(trace: trace, parameters: params, threads: threads))
        return (try VerilatedModel(built), built)
    }
}
