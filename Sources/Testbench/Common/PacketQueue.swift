/// Packets a host driver offers on a valid/ready port, one per cycle, in order.
struct PacketQueue {
    private var queue: [UInt64] = []
    private var head = 0

    mutating func send(_ packets: [UInt64]) { queue += packets }
    /// Packets not yet taken.
    var pending: Int { queue.count - head }
    /// The packet to offer this cycle, if any.
    var next: UInt64? { head < queue.count ? queue[head] : nil }

    /// The offered packet was taken.
    mutating func taken() {
        head += 1
        if head == queue.count {
            queue.removeAll(keepingCapacity: true)
            head = 0
        }
    }
}
