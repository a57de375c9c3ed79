#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A hash of a file's first bytes, saved with its position so that a restart can tell the saved file from
/// a different one that reused its inode, or from the same inode rewritten while the daemon was stopped.
///
/// Audit events share long prefixes, so the hash covers up to 4 KiB: at least the whole first line of
/// any ordinary event, whose id and time differ from file to file.
enum Fingerprint {
    static let maximumBytes: UInt64 = 4096

    /// How many bytes the fingerprint of a file consumed up to `offset` covers.
    static func length(forOffset offset: UInt64) -> Int { Int(min(offset, maximumBytes)) }

    /// FNV-1a of the first `length` bytes of `fd`, or nil when they cannot all be read.
    static func compute(_ fd: Int32, length: Int) -> UInt64? {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        guard length > 0 else { return hash }
        return withUnsafeTemporaryAllocation(byteCount: length, alignment: 8) { buffer -> UInt64? in
            var got = 0
            while got < length {
                let slice = UnsafeMutableRawBufferPointer(rebasing: buffer[got..<length])
                guard case .success(let n) = preadRetrying(fd, slice, at: UInt64(got)), n > 0 else { return nil }
                got += n
            }
            for byte in buffer[0..<length] {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return hash
        }
    }
}
