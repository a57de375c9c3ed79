/// Writes a deterministic Activity Tracker event log one line at a time, so a 1M-event corpus never has to be held in memory or stored.
///
/// Lines are the Activity Tracker envelope (`logSourceCRN`, `meta`, `payload`, `saveServiceCopy`) around a CADF event.
/// Event times never decrease. What is planted is described in `samples/README.md`.
public struct CorpusGenerator: Sendable {
    let options: CorpusOptions
    var pool: Pool
    var rng: Rand
    let startUs: Int64
    let backgroundMeanUs: Double

    // Merge state.
    var schedule: [Scheduled]
    var instanceRemaining: [Int]
    /// 0 not started, 1 started, 2 skipped (not enough events left to write it completely).
    var instanceState: [UInt8]
    var reserved = 0
    var scheduleIndex = 0
    var emitted = 0
    var nextBackgroundUs: Int64
    var lastRawUs: Int64
    var lastRenderedUs: Int64 = .min

    // Scratch buffers, reused for every event.
    var days = DayCache()
    var inner: [UInt8] = []
    var innerFirst = true
    var scratch: [UInt8] = []
    var response: [UInt8] = []
    var path: [UInt8] = []

    // Guards that keep the background from ever looking like a planted incident.
    var extraAddresses: [[UInt8]]
    var extraV6: [Bool]
    var pwFailLast: [Int64]
    var userCreateLast: [Int64]
    var loginRing: [Int64]
    var loginRingPos: [Int]
    var keySeen: [UInt8]
    var lbDeleted: [Bool]
    var listenerDeleted: [[Bool]]
    var stoppedDeployments: [Int]
    var stopDeadline: [Int64]
    var autoscaleExtra: [JStr]
    var s2sIds: [JStr]
    var s2sNames: [JStr]

    let backgroundWeights: [Int]
    let backgroundTotal: Int

    /// What was planted so far (incidents whose events have all been written), for tests and the benchmark's report.
    public internal(set) var planted = PlantedIncidents()

    /// Builds the entity pool and the schedule of backups and incidents from the options, so generation itself is a cheap loop.
    public init(options: CorpusOptions) {
        self.options = options
        var pool = Pool(seed: options.seed)
        let plan = makePlan(options: options, pool: &pool)
        self.pool = pool
        rng = Rand(seed: options.seed, stream: 3)
        startUs = options.start &* 1000
        backgroundMeanUs = plan.backgroundMeanMicros
        schedule = plan.schedule
        instanceRemaining = plan.instanceSize
        instanceState = Array(repeating: 0, count: plan.instanceSize.count)
        nextBackgroundUs = startUs
        lastRawUs = startUs
        extraAddresses = plan.extraAddresses
        extraV6 = plan.extraV6
        pwFailLast = Array(repeating: .min / 2, count: pool.deployments.count)
        userCreateLast = Array(repeating: .min / 2, count: pool.deployments.count)
        loginRing = Array(repeating: .min / 2, count: pool.accounts.count * CorpusGenerator.loginRingSize)
        loginRingPos = Array(repeating: 0, count: pool.accounts.count)
        keySeen = Array(repeating: 0, count: pool.keys.count)
        lbDeleted = Array(repeating: false, count: pool.loadBalancers.count)
        listenerDeleted = pool.loadBalancers.map { Array(repeating: false, count: $0.listeners.count) }
        stoppedDeployments = plan.stoppedDeployments
        stopDeadline = Array(repeating: .max, count: plan.stoppedDeployments.count)
        autoscaleExtra = pool.deployments.map {
            JStr(" autoscale resources for instance " + String(decoding: $0.uuid, as: UTF8.self))
        }
        s2sIds = pool.deployments.map { JStr("crn-" + $0.crnString) }
        s2sNames = pool.services.map { JStr($0.idString) }
        backgroundWeights = BG.allCases.map(\.weight)
        backgroundTotal = backgroundWeights.reduce(0, +)
        inner.reserveCapacity(1024)
        scratch.reserveCapacity(1024)
        response.reserveCapacity(512)
        path.reserveCapacity(256)
    }

    /// Background failed logins allowed per account within 31 minutes, far below the planted bursts (21+ in 30 minutes).
    static let loginRingSize = 6

    /// Appends the next line (JSON + "\n") to `buffer`; false when all events are written.
    public mutating func appendNextLine(to buffer: inout [UInt8]) -> Bool {
        while emitted < options.events {
            let left = options.events - emitted
            var useScheduled = false
            if scheduleIndex < schedule.count {
                let s = schedule[scheduleIndex]
                let state = instanceState[s.instance]
                if state == 2 {
                    scheduleIndex += 1
                    continue
                }
                if state == 0 && left < reserved + instanceRemaining[s.instance] {
                    // Not enough events left to write this incident completely: leave it out.
                    instanceState[s.instance] = 2
                    scheduleIndex += 1
                    continue
                }
                // Events still owed to started incidents take precedence over the background.
                useScheduled = s.t <= nextBackgroundUs || left <= reserved
            }
            let raw = max(useScheduled ? schedule[scheduleIndex].t : nextBackgroundUs, lastRawUs)
            lastRawUs = raw

            // Time format, never rendering a time earlier than the previous line's.
            var fraction = pickFraction()
            let zone = pickZone()
            var rendered = truncate(raw, fraction)
            if rendered < lastRenderedUs {
                fraction = 6
                rendered = raw
            }
            lastRenderedUs = rendered

            var d = Draft()
            if useScheduled {
                let s = schedule[scheduleIndex]
                scheduleIndex += 1
                if instanceState[s.instance] == 0 {
                    instanceState[s.instance] = 1
                    reserved += instanceRemaining[s.instance]
                }
                instanceRemaining[s.instance] -= 1
                reserved -= 1
                scheduledDraft(&d, s.kind, t: rendered)
            } else {
                backgroundDraft(&d, t: rendered)
                let gap = Int64(rng.exponential(mean: backgroundMeanUs))
                nextBackgroundUs = raw + gap
            }
            render(&d, fraction: fraction, zone: zone, t: rendered, into: &buffer)
            emitted += 1
            checkStoppedBackups(rendered)
            return true
        }
        return false
    }

    @inline(__always)
    private func truncate(_ t: Int64, _ fraction: Int) -> Int64 {
        var unit: Int64 = 1
        for _ in fraction..<6 { unit *= 10 }
        return t - (t % unit + unit) % unit
    }

    private mutating func pickFraction() -> Int {
        let r = rng.below(1000)
        if r < 500 { return 2 }
        if r < 700 { return 3 }
        if r < 830 { return 6 }
        if r < 910 { return 0 }
        if r < 960 { return 1 }
        if r < 980 { return 4 }
        return 5
    }

    private mutating func pickZone() -> Int {
        let r = rng.below(1000)
        return r < 600 ? 0 : (r < 820 ? 1 : 2)
    }

    private mutating func checkStoppedBackups(_ t: Int64) {
        for i in stopDeadline.indices where t > stopDeadline[i] {
            stopDeadline[i] = .max
            planted.stoppedScheduledBackups += 1
        }
    }
}

// MARK: - Inner JSON (requestData, responseData)

extension CorpusGenerator {
    @inline(__always)
    mutating func beginInner(_ d: inout Draft) {
        inner.removeAll(keepingCapacity: true)
        inner.append(0x7B)
        innerFirst = true
        d.request = true
    }

    @inline(__always)
    mutating func ikey(_ k: StaticString) {
        if innerFirst { innerFirst = false } else { inner.append(0x2C) }
        inner.append(0x22)
        put(&inner, k)
        inner.append(0x22)
        inner.append(0x3A)
    }

    @inline(__always)
    mutating func istr(_ k: StaticString, _ v: [UInt8]) {
        ikey(k)
        inner.append(0x22)
        inner.append(contentsOf: v)
        inner.append(0x22)
    }

    @inline(__always)
    mutating func istr(_ k: StaticString, _ v: JStr) {
        ikey(k)
        inner.append(0x22)
        inner.append(contentsOf: v.raw)
        inner.append(0x22)
    }

    @inline(__always)
    mutating func istr(_ k: StaticString, _ v: StaticString) {
        ikey(k)
        inner.append(0x22)
        put(&inner, v)
        inner.append(0x22)
    }

    @inline(__always)
    mutating func iuuid(_ k: StaticString) {
        ikey(k)
        inner.append(0x22)
        appendUUID(&rng, &inner)
        inner.append(0x22)
    }

    @inline(__always)
    mutating func iint(_ k: StaticString, _ v: Int) {
        ikey(k)
        appendDecimal(v, &inner)
    }

    @inline(__always)
    mutating func ibool(_ k: StaticString, _ v: Bool) {
        ikey(k)
        if v { put(&inner, "true") } else { put(&inner, "false") }
    }

    /// A member whose value is written by the caller as raw JSON.
    @inline(__always)
    mutating func iraw(_ k: StaticString, _ v: StaticString) {
        ikey(k)
        put(&inner, v)
    }

    @inline(__always)
    mutating func iopen(_ k: StaticString) {
        ikey(k)
        inner.append(0x7B)
        innerFirst = true
    }

    @inline(__always)
    mutating func iclose() {
        inner.append(0x7D)
        innerFirst = false
    }
}

// MARK: - Rendering

extension CorpusGenerator {
    mutating func render(_ d: inout Draft, fraction: Int, zone: Int, t: Int64, into b: inout [UInt8]) {
        let ascii = rng.permille(100)

        put(&b, "{\"logSourceCRN\":\"")
        b.append(contentsOf: d.logSourceCRN)
        put(&b, "\",\"meta\":{\"serviceProviderName\":\"")
        b.append(contentsOf: d.spName)
        put(&b, "\",\"serviceProviderProjectId\":\"")
        b.append(contentsOf: d.spProject)
        put(&b, "\",\"serviceProviderRegion\":\"")
        b.append(contentsOf: d.spRegion)
        put(&b, "\",\"userAccountIds\":[\"")
        b.append(contentsOf: d.account)
        put(&b, "\"]},\"payload\":{\"action\":\"")
        b.append(contentsOf: d.svc)
        b.append(0x2E)
        put(&b, d.object)
        b.append(0x2E)
        put(&b, d.verb)
        b.append(0x22)
        if rng.permille(300) {
            put(&b, ",\"correlationId\":\"")
            appendUUID(&rng, &b)
            b.append(0x22)
        }
        if rng.permille(700) {
            put(&b, ",\"dataEvent\":")
            let quoted = rng.permille(60)
            if quoted { b.append(0x22) }
            if d.dataEvent { put(&b, "true") } else { put(&b, "false") }
            if quoted { b.append(0x22) }
        }
        put(&b, ",\"eventTime\":\"")
        appendTimestamp(t, fraction: fraction, zone: zone, days: &days, &b)
        put(&b, "\",\"eventType\":\"activity\",\"id\":\"")
        appendHex(rng.next(), digits: 16, &b)
        appendHex(rng.next(), digits: 16, &b)

        // initiator
        put(&b, "\",\"initiator\":{\"credential\":{\"type\":\"")
        put(&b, d.credType)
        put(&b, "\"},\"host\":{\"address\":\"")
        b.append(contentsOf: d.address)
        b.append(0x22)
        if !d.address.isEmpty && rng.permille(750) {
            if d.addressV6 { put(&b, ",\"addressType\":\"IPv6\"") } else { put(&b, ",\"addressType\":\"IPv4\"") }
        }
        if let agent = d.agent {
            put(&b, ",\"agent\":\"")
            agent.write(&b, ascii: ascii)
            b.append(0x22)
        }
        put(&b, "},\"id\":\"")
        d.initId.write(&b, ascii: ascii)
        put(&b, "\",\"name\":\"")
        d.initName.write(&b, ascii: ascii)
        b.append(0x22)
        if d.initProject {
            put(&b, ",\"project_id\":\"")
            b.append(contentsOf: d.account)
            b.append(0x22)
        }
        put(&b, ",\"typeURI\":\"")
        put(&b, d.initTypeURI)

        // message
        put(&b, "\"},\"message\":\"")
        if d.msgSeedStyle {
            put(&b, "is.load-balancer: ")
            put(&b, d.verb)
            put(&b, " listener ")
            d.msgName.write(&b, ascii: ascii)
            switch d.outcome {
            case .success: put(&b, " success")
            case .pending: put(&b, " pending")
            case .failure: put(&b, " -failure")
            }
        } else {
            b.append(contentsOf: d.display)
            put(&b, ": ")
            put(&b, d.verb)
            b.append(0x20)
            put(&b, d.object)
            if !d.msgName.raw.isEmpty {
                b.append(0x20)
                d.msgName.write(&b, ascii: ascii)
            }
            if let extra = d.msgExtra { extra.write(&b, ascii: ascii) }
            switch d.outcome {
            case .success: break
            case .pending: put(&b, " -pending")
            case .failure: put(&b, " -failure")
            }
        }
        if rng.permille(450) {
            put(&b, "\",\"observer\":{\"id\":\"activity-tracker.cloud.ibm.com\",\"name\":\"ActivityTracker\",\"typeURI\":\"security/edge/activity-tracker\"},\"outcome\":\"")
        } else {
            put(&b, "\",\"observer\":{\"name\":\"ActivityTracker\"},\"outcome\":\"")
        }
        switch d.outcome {
        case .success: put(&b, "success")
        case .pending: put(&b, "pending")
        case .failure: put(&b, "failure")
        }

        // reason
        put(&b, "\",\"reason\":{\"reasonCode\":")
        let quoteCode = d.stringCode || rng.permille(50)
        if quoteCode { b.append(0x22) }
        appendDecimal(d.reasonCode, &b)
        if quoteCode { b.append(0x22) }
        if let rff = d.reasonForFailure {
            put(&b, ",\"reasonForFailure\":\"")
            rff.write(&b, ascii: ascii)
            b.append(0x22)
        }
        put(&b, ",\"reasonType\":\"")
        if d.reasonIANA {
            put(&b, "https://www.iana.org/assignments/http-status-codes/http-status-codes.xml")
        } else {
            put(&b, d.reasonType)
        }
        put(&b, "\"}")

        // requestData: 80% a JSON string, 15% an object, 5% absent.
        if d.request {
            let r = rng.below(1000)
            let kind = r < 795 ? 1 : (r < 945 ? 2 : (d.requestRequired ? 1 : 0))
            if kind != 0 {
                if rng.permille(60) {
                    istr("note", Lit.notes[rng.below(Lit.notes.count)])
                }
                inner.append(0x7D)
                put(&b, ",\"requestData\":")
                if kind == 1 {
                    b.append(0x22)
                    if rng.permille(80) {
                        prettyPrint(inner, into: &scratch)
                        appendStringContent(scratch, into: &b, ascii: ascii)
                    } else {
                        appendStringContent(inner, into: &b, ascii: ascii)
                    }
                    b.append(0x22)
                } else if ascii {
                    appendASCIIFolded(inner, into: &b)
                } else {
                    b.append(contentsOf: inner)
                }
            }
        }
        if d.requestPath {
            put(&b, ",\"requestPath\":\"")
            b.append(contentsOf: path)
            b.append(0x22)
        }
        if d.response {
            put(&b, ",\"responseData\":")
            b.append(contentsOf: response)
        }

        // severity
        put(&b, ",\"severity\":\"")
        var severity = d.severity
        if severity == .auto {
            switch d.reasonCode {
            case 401, 403, 503, 507: severity = .critical
            case 400...: severity = d.verbClass == .removal ? .critical : .warning
            default:
                switch d.verbClass {
                case .routine: severity = .normal
                case .change: severity = .warning
                case .removal: severity = .critical
                }
            }
        }
        switch severity {
        case .critical: put(&b, "critical")
        case .warning: put(&b, "warning")
        default: put(&b, "normal")
        }

        // target
        put(&b, "\",\"target\":{")
        if let host = d.targetHost, rng.permille(700) {
            put(&b, "\"host\":{\"address\":\"")
            b.append(contentsOf: host)
            put(&b, "\"},")
        }
        put(&b, "\"id\":\"")
        b.append(contentsOf: d.targetId)
        put(&b, "\",\"name\":\"")
        d.targetName.write(&b, ascii: ascii)
        put(&b, "\",\"typeURI\":\"")
        if d.targetTypeURIIsPath {
            b.append(contentsOf: path)
        } else {
            b.append(contentsOf: d.svc)
            b.append(0x2F)
            put(&b, d.object)
        }
        put(&b, "\"},\"typeURI\":\"http://schemas.dmtf.org/cloud/audit/1.0/event\"},\"saveServiceCopy\":true}\n")
    }

    /// Re-indents compact JSON with newlines and tabs (some services send requestData pretty-printed).
    func prettyPrint(_ src: [UInt8], into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        var depth = 0
        var inString = false
        var escaped = false
        for c in src {
            if inString {
                out.append(c)
                if escaped { escaped = false } else if c == 0x5C { escaped = true } else if c == 0x22 { inString = false }
                continue
            }
            switch c {
            case 0x22:
                inString = true
                out.append(c)
            case 0x7B, 0x5B:
                out.append(c)
                depth += 1
                out.append(0x0A)
                for _ in 0..<depth { out.append(0x09) }
            case 0x7D, 0x5D:
                depth -= 1
                out.append(0x0A)
                for _ in 0..<depth { out.append(0x09) }
                out.append(c)
            case 0x2C:
                out.append(c)
                out.append(0x0A)
                for _ in 0..<depth { out.append(0x09) }
            case 0x3A:
                out.append(c)
                out.append(0x20)
            default:
                out.append(c)
            }
        }
    }
}
