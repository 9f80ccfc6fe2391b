import SpikeForgeCore

/// Offered load and back-pressure that jump to random levels every `period` cycles, so queues
/// fill, drain and sit in between: the phases the valid/ready stimuli share.
struct LoadPhases {
    let period: Int
    let inputs: [Double], outputs: [Double]
    /// The probabilities of offering an input and of taking an output this phase.
    var pIn: Double, pOut: Double

    mutating func advance(_ rng: inout SplitMix64, cycle: Int) {
        guard cycle % period == 0 else { return }
        pIn = inputs[Int(rng.next() % UInt64(inputs.count))]
        pOut = outputs[Int(rng.next() % UInt64(outputs.count))]
    }
}
