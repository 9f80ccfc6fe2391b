/// The shape of a graph SpikeForge can place: one path from the one `Input` to the one
/// `Output`, with no cycle, branch, merge or loose node. Every violation is named by its node
/// or edge.
extension NIRGraph {
    /// At most this many nodes: a network SpikeForge places has a few dozen.
    public static let maxNodes = 10_000

    public func chain() -> (path: [String], problems: [String]) {
        guard nodes.count <= Self.maxNodes, edges.count <= 2 * Self.maxNodes else {
            return ([], ["\(nodes.count) nodes and \(edges.count) edges, more than the \(Self.maxNodes) nodes (and twice as many edges) SpikeForge reads"])
        }
        var problems: [String] = []
        for (a, b) in edges {
            for n in [a, b] where nodes[n] == nil { problems.append("edge '\(a)' → '\(b)': there is no node '\(n)'") }
        }
        let inputs = nodes.keys.sorted().filter { if case .input = nodes[$0]! { return true } else { return false } }
        let outputs = nodes.keys.sorted().filter { if case .output = nodes[$0]! { return true } else { return false } }
        if inputs.count != 1 { problems.append("\(inputs.count) Input nodes \(inputs), expected 1") }
        if outputs.count != 1 { problems.append("\(outputs.count) Output nodes \(outputs), expected 1") }
        let valid = edges.filter { nodes[$0.0] != nil && nodes[$0.1] != nil }
        var next: [String: [String]] = [:], prev: [String: [String]] = [:]
        for (a, b) in valid {
            next[a, default: []].append(b)
            prev[b, default: []].append(a)
        }
        // A cycle: name the edge that closes it (depth-first in name order, with an explicit
        // stack: a file may hold a long chain).
        var state: [String: Int] = [:]  // 1 on the stack, 2 done
        for root in nodes.keys.sorted() where state[root] == nil {
            var stack: [(node: String, next: Int)] = [(root, 0)]
            var onStack: [String] = [root]
            state[root] = 1
            while let top = stack.last {
                let succ = next[top.node, default: []]
                if top.next == succ.count {
                    state[top.node] = 2
                    stack.removeLast()
                    onStack.removeLast()
                    continue
                }
                stack[stack.count - 1].next += 1
                let m = succ[top.next]
                if state[m] == 1 {
                    let loop = onStack[onStack.lastIndex(of: m)!...] + [m]
                    problems.append("edge '\(top.node)' → '\(m)' closes a cycle (\(loop.joined(separator: " → "))): recurrent connections cannot be placed on the mesh")
                } else if state[m] == nil {
                    state[m] = 1
                    stack.append((m, 0))
                    onStack.append(m)
                }
            }
        }
        for n in nodes.keys.sorted() {
            if let p = prev[n], p.count > 1 {
                problems.append("node '\(n)' has \(p.count) inputs (\(p.map { "'\($0)' → '\(n)'" }.joined(separator: ", "))): skip connections and merges are not supported")
            }
            if let s = next[n], s.count > 1 {
                problems.append("node '\(n)' has \(s.count) outputs (\(s.map { "'\(n)' → '\($0)'" }.joined(separator: ", "))): branches are not supported")
            }
        }
        guard problems.isEmpty, let start = inputs.first, let end = outputs.first else { return ([], problems) }
        var path = [start]
        while let n = next[path.last!]?.first { path.append(n) }
        if path.last != end { problems.append("the path from '\(start)' ends at '\(path.last!)', not at the Output '\(end)'") }
        let onPath = Set(path)
        for n in nodes.keys.sorted() where !onPath.contains(n) {
            problems.append("node '\(n)' is not on the path from '\(start)' to '\(end)'")
        }
        return (path, problems)
    }
}
