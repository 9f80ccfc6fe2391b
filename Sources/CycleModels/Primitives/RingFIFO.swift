import SpikeForgeCore

/// The FIFO of `FIFOGenerator`, as the PE model uses it: pointers, occupancy and stale contents.
struct RingFIFO: Hashable, Sendable {
    let depth: Int
    var storage: [UInt64]
    var rd = 0, wr = 0, count = 0

    init(depth: Int) {
        self.depth = depth
        storage = Array(repeating: 0, count: depth)
    }

    var head: UInt64 { storage[rd] }
    var full: Bool { count == depth }
    var empty: Bool { count == 0 }

    mutating func reset() {
        rd = 0
        wr = 0
        count = 0
    }

    mutating func step(push: UInt64?, pop: Bool) {
        if let v = push {
            storage[wr] = v
            wr = wr + 1 == depth ? 0 : wr + 1
        }
        if pop { rd = rd + 1 == depth ? 0 : rd + 1 }
        count += (push != nil ? 1 : 0) - (pop ? 1 : 0)
    }
}
