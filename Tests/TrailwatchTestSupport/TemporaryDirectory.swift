import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A fresh directory, removed when the test is done.
public final class TemporaryDirectory {
    public let path: String

    public init() {
        var template = Array("/tmp/trailwatch-test-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(made != nil, "mkdtemp failed")
        path = String(cString: made!)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    public func file(_ name: String) -> String { path + "/" + name }
}
