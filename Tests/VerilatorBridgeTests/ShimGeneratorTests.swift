import Foundation
import HWIR
import Testing
@testable import VerilatorBridge

/// The generated shim repeats the ABI structs of `sf_shim.h` (it is compiled without the
/// package's headers): every struct the header declares must appear in the shim field for field,
/// so a layout change in one without the other fails here, not in a loaded library.
@Suite struct ShimGeneratorTests {
    /// `typedef struct NAME { … } NAME;` blocks, comments and white space removed.
    static func structs(_ text: String) -> [String: String] {
        var noComments = text.replacingOccurrences(of: "/\\*[\\s\\S]*?\\*/", with: "", options: .regularExpression)
        noComments = noComments.replacingOccurrences(of: "//[^\n]*", with: "", options: .regularExpression)
        let flat = noComments.replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
        var out: [String: String] = [:]
        let re = try! NSRegularExpression(pattern: "typedef struct (\\w+) \\{([^}]*)\\} (\\w+);")
        for m in re.matches(in: flat, range: NSRange(flat.startIndex..., in: flat)) {
            let name = String(flat[Range(m.range(at: 1), in: flat)!]), body = String(flat[Range(m.range(at: 2), in: flat)!])
            out[name] = body.trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    @Test func abiStructsMatchTheHeader() throws {
        let header = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources/CVerilatorShim/include/sf_shim.h")
        let h = Self.structs(try String(contentsOf: header, encoding: .utf8))
        let b = ModuleBuilder("ShimAbi")
        b.clock()
        b.output("y", b.input("a", .uint(8)))
        let shim = Self.structs(ShimGenerator.source(top: b.build(), prefix: "VShimAbi", trace: false))
        #expect(h.count >= 4, "structs found in sf_shim.h: \(h.keys.sorted())")
        for (name, body) in h {
            #expect(shim[name] == body, "struct \(name): header { \(body) }, generated shim { \(shim[name] ?? "missing") }")
        }
    }
}
