/// Packets a host driver offers on a valid/ready port, one per cycle, in order.
struct PacketQueue {
    private var queue: [UInt64] = []
    private var head = 0

    mutating func send(_ packets: [UInt64]) { queue += packets }
    /// Packets not yet taken.
    var pending: Int { queue.count - head }
    /// The packet to offer this cycle, if any.
    var next: UInt64? { head < queue.count ? queue[head] : nil }

    /// The packets not yet taken, in order.
    var pendingFlits: ArraySlice<UInt64> { queue[head...] }

    /// The offered packet (`count`: that many from the front) was taken.
    mutating func taken(_ count: Int = 1) {
        guard count > 0 else { return }
        head += count
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
