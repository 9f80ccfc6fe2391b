/// The shape of a graph SpikeForge can place: one path from the one `Input` to the one
/// `Output`, with no cycle, branch, merge or loose node. Every violation is named by its node
/// or edge.
extension NIRGraph {
    public func chain() -> (path: [String], problems: [String]) {
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
        // A cycle: name the edge that closes it (depth-first, in name order).
        var state: [String: Int] = [:]  // 1 on the stack, 2 done
        var stack: [String] = []
        func visit(_ n: String) {
            state[n] = 1
            stack.append(n)
            for m in next[n, default: []] {
                if state[m] == 1 {
                    let loop = stack[stack.lastIndex(of: m)!...] + [m]
                    problems.append("edge '\(n)' → '\(m)' closes a cycle (\(loop.joined(separator: " → "))): recurrent connections cannot be placed on the mesh")
                } else if state[m] == nil {
                    visit(m)
                }
            }
            stack.removeLast()
            state[n] = 2
        }
        for n in nodes.keys.sorted() where state[n] == nil { visit(n) }
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
        for n in nodes.keys.sorted() where !path.contains(n) {
            problems.append("node '\(n)' is not on the path from '\(start)' to '\(end)'")
        }
        return (path, problems)
    }
}
