import Foundation

/// The libFuzzer callback's side: which harness runs, and the C-callable entry.
public enum FuzzEntry {
    /// Set once by the executable before libFuzzer starts; read by every callback.
    nonisolated(unsafe) public static var harness: Harness = .idx

    /// `LLVMFuzzerTestOneInput`: runs one input through `harness`; always 0 (keep the input).
    public static func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let input = data.map { Data(bytes: $0, count: size) } ?? Data()
        harness.run(input)
        return 0
    }
}
