import Foundation
import Testing

/// Every case of the shared conformance suite, judged by its own `compare.py` against the built binary.
struct ConformanceTests {
    static let cases: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: CLI.conformance.path)) ?? []
        return names.filter { FileManager.default.fileExists(atPath: CLI.conformance.appendingPathComponent("\($0)/rules.json").path) }.sorted()
    }()

    @Test func suiteIsPresent() {
        #expect(Self.cases.count >= 50, "conformance cases not found at \(CLI.conformance.path); set TRAILWATCH_CONFORMANCE")
    }

    @Test(arguments: cases)
    func conformanceCase(_ name: String) async throws {
        let result = try await CLI.run(["python3", CLI.conformance.appendingPathComponent("compare.py").path,
                                  "--bin", CLI.binary, CLI.conformance.appendingPathComponent(name).path],
                                 executable: "/usr/bin/env")
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 passed, 0 failed"), "\(result.stdout)")
    }
}
