import Glibc
import Testing
import TrailwatchSystemd

/// JOURNAL_STREAM must name the very descriptor: its device and inode, as fstat(2) reports them.
struct LogDestinationTests {
    /// `dev:ino` of `fd`, as systemd formats JOURNAL_STREAM.
    static func streamID(_ fd: Int32) -> String {
        var info = stat()
        precondition(fstat(fd, &info) == 0)
        return "\(info.st_dev):\(info.st_ino)"
    }

    @Test func matchesOnlyTheNamedStream() throws {
        var pipeA: [Int32] = [0, 0], pipeB: [Int32] = [0, 0]
        try #require(pipe(&pipeA) == 0 && pipe(&pipeB) == 0)
        defer { for fd in pipeA + pipeB { close(fd) } }
        let a = Self.streamID(pipeA[1])

        #expect(LogDestination.isJournalStream(fileDescriptor: pipeA[1], environment: ["JOURNAL_STREAM": a]))
        #expect(!LogDestination.isJournalStream(fileDescriptor: pipeB[1], environment: ["JOURNAL_STREAM": a]),
                "another pipe has another inode")
        #expect(!LogDestination.isJournalStream(fileDescriptor: pipeA[1], environment: [:]))
        for bad in ["", ":", "\(a):1", "x:1", a.replacing(":", with: "-"), " " + a] {
            #expect(!LogDestination.isJournalStream(fileDescriptor: pipeA[1], environment: ["JOURNAL_STREAM": bad]), "\(bad)")
        }
        #expect(!LogDestination.isJournalStream(fileDescriptor: -1, environment: ["JOURNAL_STREAM": a]), "bad descriptor")
    }

    /// The public check looks at descriptor 2 itself.
    @Test func stderrIsJournalLooksAtStderr() throws {
        let stderrID = Self.streamID(STDERR_FILENO)
        #expect(LogDestination.stderrIsJournal(environment: ["JOURNAL_STREAM": stderrID]))
        #expect(!LogDestination.stderrIsJournal(environment: [:]))
        let fd = open("/dev/null", O_WRONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let other = Self.streamID(fd)
        try #require(other != stderrID, "the test's stderr is /dev/null itself")
        #expect(!LogDestination.stderrIsJournal(environment: ["JOURNAL_STREAM": other]))
    }
}
