import ArgumentParser
import SpikeForgeCore
import Testbench

/// `spikeforge blocks [<block>]`: the blocks `generate` knows, or one block's configuration
/// fields with type, default and allowed values, from the field table its `validate()` checks
/// (`BlockConfig.fields`).
public struct Blocks: ParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "List the blocks, or one block's configuration fields with type, default and allowed values.",
        discussion: "The fields are what 'spikeforge generate <block> --set name=value' and --config FILE.json set; "
            + "the ranges are the ones the block's validation checks."
    )

    @Argument(help: "A block; without it, every block is listed.")
    var block: String?

    public init() {}

    public func run() throws { print(try Self.text(block)) }

    static let systemSummary = "the whole mesh of PE tiles with its host port"

    /// What `blocks` prints.
    public static func text(_ block: String?) throws(CLIError) -> String {
        guard let block else {
            let rows = [["block", "what"]] + Catalog.blocks.map { [$0.name, $0.summary] } + [[SystemConfig.blockName, systemSummary]]
            return Table.render(rows) + "\n\n'spikeforge blocks <block>' lists a block's fields."
        }
        let listing: [ConfigFieldListing], how: String
        if block == SystemConfig.blockName {
            listing = ConfigFieldListing.of(SystemConfig.self)
            how = "A system is made by 'spikeforge export' (the mesh from --mesh, PE fields from --set name=value without 'pe.', "
                + "the widths from the model's ranges) and generated with 'generate system --config SYSTEM.json'. Defaults: the 6x7 reference system."
        } else {
            guard let entry = Catalog.blocks.first(where: { $0.name == block }) else {
                throw .unknownBlock(name: block, known: Catalog.blocks.map(\.name) + [SystemConfig.blockName])
            }
            listing = entry.fields
            how = "Set with 'spikeforge generate \(block) --set name=value' (repeatable) or --config FILE.json."
        }
        let rows = [["field", "type", "default", "allowed", "also required"]]
            + listing.map { [$0.field.name, $0.field.typeName, $0.defaultValue, $0.field.allowed, $0.field.also] }
        return "\(block): \(listing.count) fields. \(how)\n\n" + Table.render(rows)
    }
}
