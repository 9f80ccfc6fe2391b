import SpikeForgeCLI

/// Parses and runs a command line as the executable does; returns the message it would print on
/// failure, or nil on success.
func runCLI(_ args: [String]) -> String? {
    do {
        var cmd = try SpikeForge.parseAsRoot(args)
        try cmd.run()
        return nil
    } catch {
        return SpikeForge.message(for: error)
    }
}
