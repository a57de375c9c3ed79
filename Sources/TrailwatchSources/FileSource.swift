// How a file source behaves (user-facing notes, for the README):
//
// - Paths and globs. Each configured path is a file or a glob in its file-name part (`*`, `?`, `[...]`;
//   a `*` does not match a leading dot); the directory part is fixed. Files that appear later are picked
//   up through inotify on those directories, and by a rescan every second as a safety net. A path or
//   directory that does not exist yet is waited for (logged once, at info).
// - Files are identified by (device, inode), never by name. A file renamed to a name no pattern matches
//   (logrotate's `mv a.jsonl a.jsonl.1`) or deleted stays open and is read to its end, including lines
//   written to it after the rename; the file that replaced it at its path is read after it, from offset 0.
//   A rotated-away file is closed once it has stayed at its end for 5 seconds (a grace period for writers
//   that reopen their file late); lines written to it after that are not read.
// - Partial lines. A last line without its newline waits for it. When its file was rotated away or
//   deleted and it is closed, or when the file is truncated, the partial line can never be completed: it
//   is delivered as it is (the parser then rejects it with its place, so nothing disappears silently).
// - Copy-truncate (`copytruncate`). Seen when the file becomes shorter than what was read: reading starts
//   again at offset 0 with a warning. Lines written between logrotate's copy and its truncation are lost
//   (that window is inherent to copytruncate; prefer rename rotation), and a truncation followed by a
//   rewrite past our offset before we look cannot be seen.
// - Restarts. The checkpoint saves each open file's (device, inode), byte offset, line number and a hash of
//   its first 4 KiB. On restart a file is looked for at its saved path, then under any name in the patterns'
//   directories (rotated while stopped); it is finished from the saved offset before the file now at its
//   path is read from 0. A file that cannot be found is reported with a warning and the bytes that may be
//   lost; a file shorter than the offset, or whose first bytes changed, is read again from 0 with a warning.
//   Files the checkpoint does not know are read from the start (they appeared while the daemon was down).
// - Files rotated away entirely while stopped. When a checkpointed file has left its path (rotated, or
//   gone), files created at that path and rotated away before the restart (or before a checkpoint knew
//   them) are found by name: regular files in the same directory named `<name>.<suffix>` or
//   `<name>-<suffix>` with a suffix starting with a digit (`app.jsonl.1`, `app.jsonl-20261121`), not
//   compressed (`.gz`, `.bz2`, `.xz`, `.zst`, … are never read), not matched by a pattern (those are
//   followed as usual, never twice), modified at or after the checkpointed file (its modification time
//   is saved in the checkpoint for when it is gone). They are read whole, oldest modification first,
//   after the checkpointed file and before the file now at the path, with their lines under that path,
//   and logged at info; a crash while reading them resumes in them. Either numbering works (`.1` newest
//   as logrotate does, or the highest newest). Not at a first start. Limits: a file created and rotated
//   away while the daemon is running, before it looked (inotify makes that window short), is not found;
//   neither are rotated-away files when the file at the path keeps its inode but was rewritten.
// - `startAt: end` applies only at the source's first start (no checkpoint): files present then are read
//   from after their last complete line (counting lines, so numbers stay exact); files created later are
//   read from 0.
// - Lines. Every line is delivered, blank ones included, so numbers are the real 1-based line numbers of
//   the file (`origin` is the path the file was first opened under and stays so after a rename or a
//   restart). Bytes pass through untouched: CRLF keeps its `\r`, invalid UTF-8 reaches the parser. A line
//   longer than `maximumLineBytes` is skipped as it is read (never held in memory) and reported with its
//   place and length; memory per file stays around the maximum line plus one read (at most 4 MiB).
// - Several files: each `read` serves the files in path order, sharing the limit between them so a busy
//   file cannot starve the others.
// - Errors: a file that cannot be opened or read (e.g. permissions) is logged with its path and retried at
//   each rescan; the others go on.

import Logging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Follows files like `tail -F`: globs, rename and copy-truncate rotation, exact resumption from a
/// checkpoint. See the notes at the top of this file for the behaviour users can rely on.
public final class FileSource: EventSource {
    public let name: String
    private let patterns: [PathPattern]
    private let limits: SourceLimits
    private let tuning: FileSourceTuning
    private var logger: Logger
    private let watcher: DirectoryWatcher?
    private let locator: CheckpointLocator
    /// Open files, in delivery order: by origin, then oldest first.
    private var followers: [FileFollower] = []
    /// Checkpointed files that exist but could not be opened yet: kept in the checkpoint, retried.
    private var retained: [FilePosition] = []
    private var nextSequence = 0
    private var lastScan: UInt64 = 0
    private var scanRequested = false
    /// Paths and directories already reported as missing (reported again only after they appeared).
    private var reportedMissing: Set<String> = []
    /// Files that could not be opened, with the error already reported.
    private var reportedOpenFailures: [String: SystemError] = [:]
    private var isClosed = false

    /// Opens the files the patterns match now, resuming those `resumeFrom` knows.
    ///
    /// - Parameters:
    ///   - patterns: paths or globs in the file-name part; the directory part is fixed.
    ///   - startAt: where files present at the first start (no checkpoint) are read from.
    ///   - resumeFrom: the last committed checkpoint; nil at the source's first start.
    /// - Throws: `FileSourceError` for a pattern that cannot be followed (empty, glob in a directory).
    public convenience init(name: String, patterns: [String], startAt: StartPosition, limits: SourceLimits,
                            resumeFrom: SourceCheckpoint?, logger: Logger) throws {
        try self.init(name: name, patterns: patterns, startAt: startAt, limits: limits, resumeFrom: resumeFrom,
                      logger: logger, tuning: FileSourceTuning())
    }

    /// The same, with timings and the clock injectable for tests.
    init(name: String, patterns: [String], startAt: StartPosition, limits: SourceLimits,
         resumeFrom: SourceCheckpoint?, logger: Logger, tuning: FileSourceTuning) throws {
        guard !patterns.isEmpty else { throw FileSourceError.noPatterns }
        var parsed: [PathPattern] = []
        for text in patterns {
            let pattern = try PathPattern(text)
            if !parsed.contains(pattern) { parsed.append(pattern) }
        }
        self.name = name
        self.patterns = parsed
        self.limits = limits
        self.tuning = tuning
        var logger = logger
        logger[metadataKey: "source"] = "\(name)"
        self.logger = logger
        var directories: [String] = []
        for pattern in parsed where !directories.contains(pattern.directory) { directories.append(pattern.directory) }
        self.locator = CheckpointLocator(directories: directories)
        self.watcher = tuning.useInotify ? DirectoryWatcher() : nil
        if tuning.useInotify, watcher == nil {
            logger.warning("inotify is unavailable: new and rotated files are found by rescanning every second")
        }

        let now = tuning.now()
        if let resumeFrom {
            restore(resumeFrom.files, now: now)
            readRotatedWhileStopped(resumeFrom.files, now: now)
        }
        scan(now: now, startAtEnd: resumeFrom == nil && startAt == .end)
        logger.info("file source started", metadata: [
            "patterns": "\(patterns.joined(separator: ", "))", "files": "\(followers.count)",
            "resumed": "\(resumeFrom != nil)",
        ])
    }

    deinit { close() }

    public var wakeDescriptor: Int32? { watcher?.descriptor }

    public var isFinished: Bool { false }

    public var checkpoint: SourceCheckpoint {
        SourceCheckpoint(files: followers.filter { !$0.finished }.map { $0.position() } + retained)
    }

    public func read(limit: Int, _ body: (SourceItem) throws -> Void) throws -> Int {
        guard !isClosed else { return 0 }
        let now = tuning.now()
        if let watcher, watcher.drain() { scanRequested = true }
        if scanRequested || now &- lastScan >= tuning.rescanInterval { scan(now: now, startAtEnd: false) }
        guard limit > 0 else { return 0 }

        for follower in followers { follower.exhausted = false }
        defer { followers.removeAll { $0.finished } }
        var delivered = 0
        // Rounds: each ready file gets an equal share of what is left of the limit, in path order.
        while delivered < limit {
            let ready = followers.filter { !$0.exhausted && !$0.finished }
            if ready.isEmpty { break }
            let share = max(1, (limit - delivered) / ready.count)
            var progressed = false
            for follower in ready where delivered < limit && !isHeldBack(follower) {
                delivered += try follower.deliver(limit: min(share, limit - delivered), now: now,
                                                  rotateWait: tuning.rotateWait, body)
                progressed = true
            }
            if !progressed { break }
        }
        return delivered
    }

    public func close() {
        guard !isClosed else { return }
        isClosed = true
        for follower in followers { follower.close() }
        followers.removeAll()
        watcher?.close()
    }

    /// A file waits while an older file of its chain (same origin) still has lines to give, so a rotated
    /// file is read to its end before the one that replaced it.
    private func isHeldBack(_ follower: FileFollower) -> Bool {
        followers.contains {
            $0 !== follower && $0.origin == follower.origin && $0.sequence < follower.sequence && $0.holdsBackSuccessors
        }
    }

    // MARK: Finding files

    /// Matches the patterns against the directories: follows new files, and marks followed files that no
    /// pattern matches anymore as rotated away (they are drained, then closed).
    private func scan(now: UInt64, startAtEnd: Bool) {
        lastScan = now
        scanRequested = false
        if let watcher {
            for pattern in patterns where !watcher.isWatching(pattern.directory) { watcher.watch(pattern.directory) }
        }
        var matched: [(path: String, status: FileStatus)] = []
        for pattern in patterns {
            if pattern.isGlob {
                switch listDirectory(pattern.directory) {
                case .success(let entries):
                    reportedMissing.remove(pattern.directory)
                    for entry in entries where pattern.matches(name: entry.name) {
                        let path = pattern.path(of: entry.name)
                        if case .success(let status) = FileStatus.of(path: path), status.isRegular {
                            matched.append((path, status))
                        }
                    }
                case .failure(let error):
                    reportMissing(pattern.directory, error: error, what: "directory")
                }
            } else {
                switch FileStatus.of(path: pattern.text) {
                case .success(let status) where status.isRegular:
                    reportedMissing.remove(pattern.text)
                    matched.append((pattern.text, status))
                case .success:
                    reportMissing(pattern.text, error: nil, what: "path (not a regular file)")
                case .failure(let error):
                    reportMissing(pattern.text, error: error, what: "file")
                }
            }
        }
        matched.sort { $0.path < $1.path }
        var unclaimed: [FileIdentity: String] = [:]
        var order: [FileIdentity] = []
        for (path, status) in matched where unclaimed[status.identity] == nil {
            unclaimed[status.identity] = path
            order.append(status.identity)
        }

        for follower in followers where !follower.finished {
            if let path = unclaimed.removeValue(forKey: follower.identity) {
                if follower.isOrphaned { logger.info("file matches a pattern again", metadata: ["file": "\(path)"]) }
                follower.seen(at: path)
            } else if !follower.isOrphaned {
                follower.orphan(now: now)
                let replaced = if case .success(let status) = FileStatus.of(path: follower.path) {
                    status.identity != follower.identity
                } else { false }
                let what = follower.isDeleted ? "file deleted" : replaced ? "file rotated (renamed)" : "file renamed away"
                logger.info("\(what): reading it to its end before closing it", metadata: [
                    "file": "\(follower.origin)", "line": "\(follower.lines)",
                ])
            }
        }

        if !retained.isEmpty {
            let waiting = retained
            retained.removeAll()
            restore(waiting, now: now)
        }
        let retainedIdentities = Set(retained.map { FileIdentity(device: $0.device, inode: $0.inode) })
        for identity in order {
            guard let path = unclaimed[identity], !retainedIdentities.contains(identity) else { continue }
            follow(path: path, now: now, startAtEnd: startAtEnd)
        }
    }

    /// Opens a newly matched file from its start (or its end, at the first start with `startAt: .end`).
    private func follow(path: String, now: UInt64, startAtEnd: Bool) {
        let descriptor: Int32
        switch openForReading(path) {
        case .success(let fd):
            descriptor = fd
            reportedOpenFailures[path] = nil
        case .failure(let error):
            if error.code != ENOENT, reportedOpenFailures[path] != error {
                reportedOpenFailures[path] = error
                logger.error("cannot open file; will retry", metadata: ["file": "\(path)", "error": "\(error)"])
            }
            return
        }
        guard case .success(let status) = FileStatus.of(descriptor: descriptor),
              !followers.contains(where: { $0.identity == status.identity && !$0.finished }) else {
            Glibc.close(descriptor)  // replaced between stat and open by a file already followed
            return
        }
        let follower = FileFollower(origin: path, path: path, descriptor: descriptor, status: status,
                                    sequence: takeSequence(), offset: 0, lines: 0, limits: limits, now: now,
                                    logger: logger)
        if startAtEnd { follower.skipToEnd() }
        insert(follower)
        logger.info("following file", metadata: [
            "file": "\(path)", "offset": "\(follower.consumed)", "line": "\(follower.lines)",
        ])
    }

    /// Reopens the files a checkpoint names, where they are now.
    private func restore(_ positions: [FilePosition], now: UInt64) {
        for position in positions {
            let identity = FileIdentity(device: position.device, inode: position.inode)
            if followers.contains(where: { $0.identity == identity && !$0.finished }) { continue }
            let fileLogger = logger.withFile(position.path)
            // What was unread when the checkpoint was taken: lost if the file is gone or was replaced.
            let unread = position.size.map { $0 > position.offset ? "at least \($0 - position.offset)" : "any written after the last read" }
                ?? "unknown"
            switch locator.locate(position) {
            case .resume(let descriptor, let status, let path):
                let follower = FileFollower(origin: position.path, path: path, descriptor: descriptor, status: status,
                                            sequence: takeSequence(), offset: position.offset, lines: position.line,
                                            limits: limits, now: now, logger: logger)
                insert(follower)
                fileLogger.info("resuming file", metadata: [
                    "now-at": "\(path)", "offset": "\(position.offset)", "line": "\(position.line)",
                ])
            case .restart(let descriptor, let status, let path, let reason):
                let follower = FileFollower(origin: position.path, path: path, descriptor: descriptor, status: status,
                                            sequence: takeSequence(), offset: 0, lines: 0, limits: limits, now: now,
                                            logger: logger)
                insert(follower)
                fileLogger.warning("file changed while stopped: reading it again from the start; its unread lines may be lost", metadata: [
                    "reason": "\(reason)", "saved-offset": "\(position.offset)", "saved-line": "\(position.line)",
                    "bytes-lost": "\(unread)",
                ])
            case .gone(let reason):
                fileLogger.warning("file from the checkpoint is gone: its unread lines are lost", metadata: [
                    "reason": "\(reason)", "inode": "\(identity)", "offset": "\(position.offset)",
                    "line": "\(position.line)", "bytes-lost": "\(unread)",
                ])
            case .unreadable(let path, let error):
                retained.append(position)
                if reportedOpenFailures[path] != error {
                    reportedOpenFailures[path] = error
                    fileLogger.error("cannot open file from the checkpoint; will retry", metadata: [
                        "now-at": "\(path)", "error": "\(error)",
                    ])
                }
            }
        }
    }

    /// After a restart, follows the rotated files of each chain that the checkpoint cannot know: created at
    /// the chain's path and rotated away while the daemon was stopped (or before a checkpoint knew them).
    /// Only chains whose newest checkpointed file left its path are concerned (rotated or gone); their
    /// siblings written since that file (see `RotatedSiblings`) are read from 0, oldest first, after the
    /// checkpointed files and before the file now at the path. They are then followed like any rotated
    /// file: in the checkpoint until they are finished, then closed.
    private func readRotatedWhileStopped(_ positions: [FilePosition], now: UInt64) {
        var excluded = Set(positions.map { FileIdentity(device: $0.device, inode: $0.inode) })
        excluded.formUnion(followers.map(\.identity))
        for pattern in patterns where !pattern.isGlob {
            if case .success(let status) = FileStatus.of(path: pattern.text) { excluded.insert(status.identity) }
        }
        // The newest saved file of each chain: positions are saved in delivery order, oldest first.
        var newest: [String: FilePosition] = [:]
        var origins: [String] = []
        for position in positions {
            if newest.updateValue(position, forKey: position.path) == nil { origins.append(position.path) }
        }
        for origin in origins {
            guard let position = newest[origin] else { continue }
            let identity = FileIdentity(device: position.device, inode: position.inode)
            if retained.contains(where: { $0.device == position.device && $0.inode == position.inode }) { continue }
            let directory: String
            let since: Int64
            var sinceChanged: Int64?
            if let follower = followers.first(where: { $0.identity == identity && !$0.finished }) {
                // Still at its path: nothing replaced it there, so nothing can have been rotated after it.
                guard follower.path != origin else { continue }
                guard let status = follower.status() else { continue }
                directory = Self.directory(of: follower.path)
                since = status.modified
                sinceChanged = status.changed
            } else if let modified = position.modified {
                directory = Self.directory(of: origin)
                since = modified
            } else {
                logger.debug("cannot look for files rotated while stopped: the checkpoint predates modification times",
                             metadata: ["file": "\(origin)"])
                continue
            }
            let patterns = self.patterns
            let siblings = RotatedSiblings.find(
                directory: directory, base: Self.name(of: origin), since: since, sinceChanged: sinceChanged,
                excluded: excluded,
                isMatched: { path in patterns.contains { $0.directory == directory && $0.matches(name: Self.name(of: path)) } })
            for sibling in siblings {
                excluded.insert(sibling.status.identity)
                let descriptor: Int32
                switch openForReading(sibling.path) {
                case .success(let fd): descriptor = fd
                case .failure(let error):
                    logger.error("cannot open a file rotated while stopped: its lines are lost", metadata: [
                        "file": "\(origin)", "now-at": "\(sibling.path)", "error": "\(error)",
                    ])
                    continue
                }
                guard case .success(let status) = FileStatus.of(descriptor: descriptor),
                      status.identity == sibling.status.identity else {
                    Glibc.close(descriptor)  // renamed again or replaced in the meantime
                    continue
                }
                let follower = FileFollower(origin: origin, path: sibling.path, descriptor: descriptor, status: status,
                                            sequence: takeSequence(), offset: 0, lines: 0, limits: limits, now: now,
                                            logger: logger)
                follower.orphan(now: now)
                insert(follower)
                logger.info("reading a rotated file created while the daemon was down", metadata: [
                    "file": "\(origin)", "now-at": "\(sibling.path)", "bytes": "\(status.size)",
                ])
            }
        }
    }

    private static func directory(of path: String) -> String {
        path.lastIndex(of: "/").map { $0 == path.startIndex ? "/" : String(path[..<$0]) } ?? "."
    }

    private static func name(of path: String) -> String {
        path.lastIndex(of: "/").map { String(path[path.index(after: $0)...]) } ?? path
    }

    private func reportMissing(_ path: String, error: SystemError?, what: String) {
        guard reportedMissing.insert(path).inserted else { return }
        if let error, error.code != ENOENT {
            logger.error("cannot look at \(what); will retry", metadata: ["file": "\(path)", "error": "\(error)"])
        } else {
            logger.info("waiting for \(what) to appear", metadata: ["file": "\(path)"])
        }
    }

    private func takeSequence() -> Int {
        defer { nextSequence += 1 }
        return nextSequence
    }

    private func insert(_ follower: FileFollower) {
        let index = followers.firstIndex {
            ($0.origin, $0.sequence) > (follower.origin, follower.sequence)
        } ?? followers.endIndex
        followers.insert(follower, at: index)
    }
}

/// Timings of a file source, injectable so tests need not sleep.
struct FileSourceTuning {
    /// How long a rotated-away file stays open at its end before it is closed (nanoseconds).
    var rotateWait: UInt64 = 5_000_000_000
    /// How often the directories are rescanned even without inotify events (nanoseconds).
    var rescanInterval: UInt64 = 1_000_000_000
    var useInotify = true
    var now: () -> UInt64 = monotonicNanoseconds
}

extension Logger {
    fileprivate func withFile(_ file: String) -> Logger {
        var copy = self
        copy[metadataKey: "file"] = "\(file)"
        return copy
    }
}
