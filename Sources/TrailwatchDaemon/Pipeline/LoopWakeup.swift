import Foundation
import Synchronization

/// The pipeline loop's self-pipe: other threads (a stop, a reload, the committer making room) write a
/// byte to end the loop's `poll`.
///
/// Its own object, so that the committer's thread holds this and not the pipeline: a thread holding the
/// pipeline could end up running its `deinit`, which waits for that very thread.
final class LoopWakeup: Sendable {
    let readDescriptor: Int32
    private let writeDescriptor: Int32
    /// Set while the loop waits for the committer to make room: only then does a written batch wake it.
    let waitingForRoom = Atomic<Bool>(false)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw PipelineError.system("pipe", errno) }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readDescriptor = fds[0]
        writeDescriptor = fds[1]
    }

    deinit {
        close(readDescriptor)
        close(writeDescriptor)
    }

    func poke() {
        var byte: UInt8 = 1
        _ = write(writeDescriptor, &byte, 1)
    }

    /// The committer's progress report: wakes the loop only when it waits for room.
    func roomMade() {
        if waitingForRoom.load(ordering: .acquiring) { poke() }
    }

    /// Empties the pipe after `poll` saw it readable.
    func drain() {
        var sink = [UInt8](repeating: 0, count: 64)
        while read(readDescriptor, &sink, sink.count) > 0 {}
    }
}
