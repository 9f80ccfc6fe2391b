import Foundation

/// What fits on this machine: sizes from flags are checked against its physical memory before
/// anything is allocated, and the message says how much is needed and how much there is.
public enum MemoryBudget {
    /// The share of physical memory one run may plan to use.
    public static let share = 0.75

    public static var physicalBytes: Double { Double(ProcessInfo.processInfo.physicalMemory) }

    /// nil when `bytes` fits; otherwise `what needs about N GB, this machine has M GB (…)`.
    public static func problem(needs bytes: Double, for what: String) -> String? {
        let limit = physicalBytes * share
        guard bytes > limit else { return nil }
        return "\(what) needs about \(gb(bytes)), but this machine has \(gb(physicalBytes)) of memory (at most \(gb(limit)) may be planned for one run)"
    }

    public static func gb(_ bytes: Double) -> String {
        bytes >= 1e9 ? String(format: "%.1f GB", bytes / 1e9) : String(format: "%.1f MB", bytes / 1e6)
    }
}
