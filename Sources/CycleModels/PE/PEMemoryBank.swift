import SpikeForgeCore

/// A core's memories in one array indexed by `PEMemory.rawValue` (no hashing in the cycle
/// loop). A memory the configuration lacks is an empty placeholder and reads as nil.
public struct PEMemoryBank: Sendable {
    /// Every `PEMemory`, by raw value; the hot path of `PECoreModel` indexes it directly.
    var banks: [WordMemory]
    private(set) var present: [Bool]

    init(_ c: PEConfig) {
        let count = (PEMemory.allCases.map(\.rawValue).max() ?? 0) + 1
        var banks = [WordMemory](repeating: WordMemory(width: 0, depth: 0), count: count)
        var present = [Bool](repeating: false, count: count)
        for m in c.srams {
            let (w, d) = c.geometry(m)
            banks[m.rawValue] = WordMemory(width: w, depth: d)
            present[m.rawValue] = true
        }
        self.banks = banks
        self.present = present
    }

    /// The memory `m`, or nil when the core has none. Changing it in place
    /// (`core.memories[.weights]!.load(words)`) does not copy its words; setting nil removes it.
    public subscript(m: PEMemory) -> WordMemory? {
        get { present[m.rawValue] ? banks[m.rawValue] : nil }
        _modify {
            let i = m.rawValue
            guard present[i] else {
                var none: WordMemory? = nil
                yield &none
                return
            }
            // Move the memory out so the caller holds the only reference (no copy on write).
            var v: WordMemory? = banks[i]
            banks[i] = WordMemory(width: 0, depth: 0)
            // Setting nil removes the memory (it reads as absent from then on).
            defer { if let v { banks[i] = v } else { present[i] = false } }
            yield &v
        }
    }
}

extension PEImages {
    /// Loads the model's SRAMs as the backdoor loads the RTL's (nothing but the memories changes).
    public func load(into core: inout PECoreModel) {
        for (m, w) in words { core.memories[m]?.load(w) }
    }
}
