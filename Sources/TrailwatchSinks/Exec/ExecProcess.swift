#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// Runs one program to completion without a shell: standard input from a buffer, standard output to
/// /dev/null, the first KiB of standard error kept; killed with its whole process group at the deadline.
///
/// posix_spawn (not Foundation's Process) so the child leads a new process group (a timeout kills what it
/// started too), gets default signal dispositions and an empty signal mask, and inherits no descriptor but
/// 0, 1 and 2.
enum ExecProcess {
    enum Ending: Equatable {
        case exited(Int32)
        case signaled(Int32)
        case timedOut
        case cancelled
    }

    struct Outcome {
        var ending: Ending
        /// The start of what the program wrote to standard error.
        var standardError: [UInt8]
    }

    struct SpawnError: Error {
        var code: Int32
    }

    static let standardErrorLimit = 1024

    /// Runs on a thread of its own (it blocks); cancelling the task kills the process group.
    static func run(arguments: [String], environment: [String: String], input: [UInt8],
                    timeoutMilliseconds: Int64) async throws(SpawnError) -> Outcome {
        let cancelled = Atomic<Bool>(false)
        let result: Result<Outcome, SpawnError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let thread = Thread {
                    continuation.resume(returning: runBlocking(arguments: arguments, environment: environment, input: input,
                                                               timeoutMilliseconds: timeoutMilliseconds, cancelled: cancelled))
                }
                thread.name = "trailwatch-exec"
                thread.start()
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
        return try result.get()
    }

    private static func runBlocking(arguments: [String], environment: [String: String], input: [UInt8],
                                    timeoutMilliseconds: Int64, cancelled: borrowing Atomic<Bool>) -> Result<Outcome, SpawnError> {
        // A write to a program that stopped reading raises SIGPIPE: keep it pending on this thread (it is
        // dropped when the thread ends) and see EPIPE instead of the daemon being killed.
        var block = sigset_t()
        sigemptyset(&block)
        sigaddset(&block, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &block, nil)

        let deadline = monotonicMilliseconds() + timeoutMilliseconds
        var inputPipe: [Int32] = [-1, -1], errorPipe: [Int32] = [-1, -1]
        guard makePipe(&inputPipe) == 0 else { return .failure(SpawnError(code: errno)) }
        guard makePipe(&errorPipe) == 0 else {
            let code = errno
            close(inputPipe[0]); close(inputPipe[1])
            return .failure(SpawnError(code: code))
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inputPipe[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        _ = Self.closeFrom.map { $0(&actions, 3) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigfillset(&defaults)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for p in argv { free(p) }
            for p in envp { free(p) }
        }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(inputPipe[0])
        close(errorPipe[1])
        guard spawned == 0 else {
            close(inputPipe[1]); close(errorPipe[0])
            return .failure(SpawnError(code: spawned))
        }

        var inputFD: Int32 = inputPipe[1], errorFD: Int32 = errorPipe[0]
        _ = fcntl(inputFD, F_SETFL, fcntl(inputFD, F_GETFL) | O_NONBLOCK)
        _ = fcntl(errorFD, F_SETFL, fcntl(errorFD, F_GETFL) | O_NONBLOCK)
        var written = 0
        var captured: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        defer {
            if inputFD >= 0 { close(inputFD) }
            if errorFD >= 0 { close(errorFD) }
        }
        if input.isEmpty { close(inputFD); inputFD = -1 }

        func readError() {
            while errorFD >= 0 {
                let n = chunk.withUnsafeMutableBytes { read(errorFD, $0.baseAddress, $0.count) }
                if n > 0 {
                    captured += chunk[0..<min(n, max(0, standardErrorLimit - captured.count))]
                } else if n == 0 {
                    close(errorFD); errorFD = -1
                } else if errno == EINTR {
                    continue
                } else {
                    if errno != EAGAIN { close(errorFD); errorFD = -1 }
                    return
                }
            }
        }
        func killGroup() -> Int32 {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            return status
        }

        while true {
            if cancelled.load(ordering: .relaxed) {
                _ = killGroup()
                readError()
                return .success(Outcome(ending: .cancelled, standardError: captured))
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                readError()
                let signal = status & 0x7f
                let ending: Ending = signal == 0 ? .exited((status >> 8) & 0xff) : .signaled(signal)
                return .success(Outcome(ending: ending, standardError: captured))
            }
            let remaining = deadline - monotonicMilliseconds()
            if remaining <= 0 {
                _ = killGroup()
                readError()
                return .success(Outcome(ending: .timedOut, standardError: captured))
            }
            var fds: [pollfd] = []
            if inputFD >= 0 { fds.append(pollfd(fd: inputFD, events: Int16(POLLOUT), revents: 0)) }
            if errorFD >= 0 { fds.append(pollfd(fd: errorFD, events: Int16(POLLIN), revents: 0)) }
            // Short waits: the child's exit is noticed by waitpid, not by a descriptor.
            _ = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 20)))
            if inputFD >= 0 {
                let n = input.withUnsafeBytes { write(inputFD, $0.baseAddress! + written, $0.count - written) }
                if n > 0 {
                    written += n
                    if written == input.count { close(inputFD); inputFD = -1 }
                } else if n < 0 && errno != EAGAIN && errno != EINTR {
                    // EPIPE: the program does not read its input; its exit status decides.
                    close(inputFD); inputFD = -1
                }
            }
            readError()
        }
    }

    /// `pipe2(…, O_CLOEXEC)`, which Swift's Glibc module hides (it needs _GNU_SOURCE); plain `pipe` plus
    /// FD_CLOEXEC where it is missing.
    private static func makePipe(_ fds: inout [Int32]) -> Int32 {
        if let pipe2 = Self.pipe2 { return fds.withUnsafeMutableBufferPointer { pipe2($0.baseAddress!, O_CLOEXEC) } }
        guard pipe(&fds) == 0 else { return -1 }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return 0
    }

    private typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let pipe2: Pipe2? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pipe2").map { unsafeBitCast($0, to: Pipe2.self) }
    /// glibc 2.34+: the child inherits no descriptor above 2, even one opened without O_CLOEXEC.
    private static let closeFrom: CloseFrom? = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }

    static func monotonicMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
