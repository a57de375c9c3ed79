// Scheduled events: daily backups of every deployment and the planted incidents, planned up front
// (own random stream) and merged into the background stream by time.

enum SchedKind {
    case backup(dep: Int, fail: Bool, lastBeforeStop: Bool)
    case pwFail(dep: Int, who: Int, legacy: Bool, user: Int, completes: Bool)
    case realDeny(dep: Int, who: Int, op: Int, legacy: Bool)
    case onDemandFail(dep: Int, who: Int, legacy: Bool)
    case restoreFail(dep: Int, who: Int)
    case allowlist(dep: Int, who: Int, legacy: Bool, world: Bool)
    case endpoints(dep: Int, who: Int, legacy: Bool)
    case userCreate(dep: Int, who: Int, legacy: Bool, user: Int)
    case userDelete(dep: Int, who: Int, legacy: Bool, user: Int)
    case scaleFail(dep: Int, who: Int, variant: Int)
    case lbDelete(lb: Int, who: Int)
    case listenerDelete(lb: Int, listener: Int, who: Int)
    case lbFail(lb: Int, who: Int, variant: Int)
    case loginFail(key: Int, address: Int, completes: Bool)
    case newSource(key: Int, address: Int)
}

struct Scheduled {
    var t: Int64
    var seq: Int
    /// The incident (or backup) this event belongs to; an incident is written completely or not at all.
    var instance: Int
    var kind: SchedKind
}

/// Incident kinds that take a slot in the timeline.
enum IncidentKind: CaseIterable {
    case pwBurst, realDeny, onDemandFail, restoreFail, allowlist, endpoints, userCreateDelete, scaling
    case lbDelete, listenerDelete, lbFail, loginBurst, newSource
}

struct Plan {
    var schedule: [Scheduled] = []
    var instanceSize: [Int] = []
    var extraAddresses: [[UInt8]] = []
    var extraV6: [Bool] = []
    var extraAddressStrings: [String] = []
    /// (deployment) whose scheduled backups stop; its last backup carries `lastBeforeStop`.
    var stoppedDeployments: [Int] = []
    var backgroundMeanMicros: Double = 1
}

/// The minimum slot width: incidents start at least an hour apart, so windows of one never overlap the next.
let slotMinimumMicros: Int64 = 75 * microsPerMinute
/// Start of the new-source detection period: background logins bring no new (key, address) pairs after it.
let learningMicros: Int64 = 24 * microsPerHour
/// A deployment whose last scheduled backup is older than this has stopped.
let backupSilenceMicros: Int64 = 26 * microsPerHour

func makePlan(options: CorpusOptions, pool: inout Pool) -> Plan {
    var rng = Rand(seed: options.seed, stream: 2)
    var plan = Plan()
    let startUs = options.start &* 1000
    let spanUs = Int64(max(options.events, 0)) &* max(options.meanGapMilliseconds, 1) &* 1000
    var seq = 0
    var instance = 0

    func add(_ t: Int64, _ inst: Int, _ kind: SchedKind) {
        plan.schedule.append(Scheduled(t: t, seq: seq, instance: inst, kind: kind))
        seq += 1
    }

    // Daily scheduled backups at each deployment's fixed hour (a minute or two of jitter).
    struct Backup { var t: Int64; var dep: Int; var fail: Bool; var last: Bool }
    var backups: [Backup] = []
    let firstDay = floorDiv(startUs, microsPerDay)
    let backupEnd = startUs + spanUs + spanUs / 8 + microsPerDay
    for (di, dep) in pool.deployments.enumerated() {
        var day = firstDay
        while true {
            let t = day * microsPerDay + Int64(dep.backupHour) * microsPerHour + Int64(dep.backupMinute) * microsPerMinute
                + Int64(rng.below(120_000_000))
            if t > backupEnd { break }
            if t >= startUs { backups.append(Backup(t: t, dep: di, fail: false, last: false)) }
            day += 1
        }
    }

    var slotted: [IncidentKind] = []
    if options.incidents && spanUs > 0 {
        let days = Double(spanUs) / Double(microsPerDay)
        let base = min(20, max(1, Int(days + 0.5)))
        let less = max(1, base - 1)
        let third = max(1, base / 3)
        let counts: [(IncidentKind, Int)] = [
            (.pwBurst, base), (.realDeny, base), (.onDemandFail, less), (.restoreFail, less),
            (.allowlist, base), (.endpoints, less), (.userCreateDelete, less), (.scaling, base),
            (.lbDelete, third), (.listenerDelete, third), (.lbFail, less), (.loginBurst, less),
            (.newSource, spanUs >= learningMicros + 2 * microsPerHour ? less : 0),
        ]
        for (k, n) in counts { slotted += Array(repeating: k, count: n) }

        let lo = startUs + max(spanUs / 25, 10 * microsPerMinute)
        let hi = startUs + spanUs / 10 * 9

        // A deployment whose backups stop: only when the stream is long enough to notice (26 h of silence
        // after at least one backup).
        if spanUs >= 50 * microsPerHour {
            let stopAt = startUs + spanUs - 36 * microsPerHour
            var candidates = Array(pool.deployments.indices)
            rng.shuffle(&candidates)
            for dep in candidates {
                let before = backups.indices.filter { backups[$0].dep == dep && backups[$0].t <= stopAt }
                guard let lastIndex = before.max(by: { backups[$0].t < backups[$1].t }) else { continue }
                backups[lastIndex].last = true
                backups.removeAll { $0.dep == dep && $0.t > stopAt }
                plan.stoppedDeployments.append(dep)
                break
            }
        }

        // Failed scheduled backups: on distinct deployments, inside the incident window.
        let failCount = less
        var candidates = backups.indices.filter {
            backups[$0].t >= lo && backups[$0].t <= hi && !plan.stoppedDeployments.contains(backups[$0].dep)
        }
        rng.shuffle(&candidates)
        var failedDeps = Set<Int>()
        for i in candidates where failedDeps.count < failCount && !failedDeps.contains(backups[i].dep) {
            backups[i].fail = true
            failedDeps.insert(backups[i].dep)
        }

        // Slots: evenly spaced, at least `slotMinimumMicros` wide; drop incidents that do not fit.
        rng.shuffle(&slotted)
        while !slotted.isEmpty && (hi - lo) / Int64(slotted.count) < slotMinimumMicros {
            slotted.removeLast()
        }
        var slotStarts: [Int64] = []
        if !slotted.isEmpty {
            let width = (hi - lo) / Int64(slotted.count)
            for i in 0..<slotted.count {
                let free = width - 60 * microsPerMinute
                slotStarts.append(lo + Int64(i) * width + Int64(rng.unit() * Double(free)))
            }
        }
        // New-source logins need slots after the learning period.
        var assignment = [IncidentKind?](repeating: nil, count: slotStarts.count)
        var eligible = slotStarts.indices.filter { slotStarts[$0] >= startUs + learningMicros + 30 * microsPerMinute }
        rng.shuffle(&eligible)
        var rest: [IncidentKind] = []
        for k in slotted {
            if k == .newSource {
                if let s = eligible.popLast() { assignment[s] = k }
            } else {
                rest.append(k)
            }
        }
        var restIndex = 0
        for s in assignment.indices where assignment[s] == nil && restIndex < rest.count {
            assignment[s] = rest[restIndex]
            restIndex += 1
        }

        // Entities for the incidents.
        var lbOrder = Array(pool.loadBalancers.indices)
        rng.shuffle(&lbOrder)
        var lbsDeleted: [Int] = []
        var kindIndex: [IncidentKind: Int] = [:]
        var usedAttackerAccounts: [Int] = []
        for (s, maybeKind) in assignment.enumerated() {
            guard let kind = maybeKind else { continue }
            let t0 = slotStarts[s]
            let nth = kindIndex[kind, default: 0]
            kindIndex[kind] = nth + 1
            let inst = instance
            instance += 1
            var size = 1
            let dep = rng.below(pool.deployments.count)
            let account = pool.deployments[dep].account
            switch kind {
            case .pwBurst:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 250)
                let user = rng.below(pool.deployments[dep].dbUsers.count)
                let n = rng.between(5, 8)
                var offsets = (1..<n).map { _ in Int64(rng.below(540_000_000)) }
                offsets.append(0)
                offsets.sort()
                for (i, off) in offsets.enumerated() {
                    let legacy = nth % 3 == 0 ? true : (nth % 3 == 1 ? false : rng.permille(500))
                    // Counted at the fifth failure: that is when the burst becomes detectable.
                    add(t0 + off, inst, .pwFail(dep: dep, who: who, legacy: legacy, user: user, completes: i == 4))
                }
                size = n
            case .realDeny:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 600)
                add(t0, inst, .realDeny(dep: dep, who: who, op: rng.below(denyOperations.count), legacy: rng.permille(400)))
            case .onDemandFail:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 400)
                add(t0, inst, .onDemandFail(dep: dep, who: who, legacy: nth % 2 == 0))
            case .restoreFail:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 300)
                add(t0, inst, .restoreFail(dep: dep, who: who))
            case .allowlist:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 300)
                add(t0, inst, .allowlist(dep: dep, who: who, legacy: nth % 2 == 1, world: nth == 0))
            case .endpoints:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 300)
                add(t0, inst, .endpoints(dep: dep, who: who, legacy: nth % 2 == 0))
            case .userCreateDelete:
                let who = pickWho(&rng, pool: pool, account: account, servicePermille: 200)
                let user = rng.below(pool.incidentUserNames.count)
                let legacy = nth % 2 == 0
                add(t0, inst, .userCreate(dep: dep, who: who, legacy: legacy, user: user))
                add(t0 + Int64(rng.between(5 * 60, 50 * 60)) * microsPerSecond, inst,
                    .userDelete(dep: dep, who: who, legacy: legacy, user: user))
                size = 2
            case .scaling:
                let variant = nth % 4
                let who = variant >= 2 && rng.permille(500) ? -1 : pickWho(&rng, pool: pool, account: account, servicePermille: 400)
                add(t0, inst, .scaleFail(dep: dep, who: who, variant: variant))
            case .lbDelete, .listenerDelete, .lbFail:
                // Distinct load balancers for deletions; failures on any that is never deleted.
                var lb = -1
                if kind == .lbFail {
                    let alive = lbOrder.filter { !lbsDeleted.contains($0) }
                    lb = alive.isEmpty ? -1 : alive[rng.below(alive.count)]
                } else if let next = lbOrder.popLast() {
                    lb = next
                    if kind == .lbDelete { lbsDeleted.append(lb) }
                }
                if lb < 0 { continue }
                let lbAccount = pool.loadBalancers[lb].account
                let who = pickWho(&rng, pool: pool, account: lbAccount, servicePermille: 400)
                switch kind {
                case .lbDelete: add(t0, inst, .lbDelete(lb: lb, who: who))
                case .listenerDelete:
                    add(t0, inst, .listenerDelete(lb: lb, listener: rng.below(pool.loadBalancers[lb].listeners.count), who: who))
                default: add(t0, inst, .lbFail(lb: lb, who: who, variant: nth % 3))
                }
            case .loginBurst:
                // Prefer an account not attacked yet; 21–24 failures from one or two foreign addresses.
                var acct = rng.below(pool.accounts.count)
                if usedAttackerAccounts.contains(acct) { acct = rng.below(pool.accounts.count) }
                usedAttackerAccounts.append(acct)
                let accountKeys = pool.keys.indices.filter { pool.keys[$0].account == acct }
                if accountKeys.isEmpty { continue }
                var addrs: [Int] = []
                for _ in 0..<rng.between(1, 2) {
                    let v6 = rng.permille(150)
                    let a = pool.newForeignAddress(&rng, v6: v6)
                    plan.extraAddresses.append(bytes(a))
                    plan.extraAddressStrings.append(a)
                    plan.extraV6.append(v6)
                    addrs.append(plan.extraAddresses.count - 1)
                }
                let n = rng.between(21, 24)
                let duration = Int64(rng.between(8 * 60, 25 * 60)) * microsPerSecond
                var offsets = (1..<n).map { _ in Int64(rng.unit() * Double(duration)) }
                offsets.append(0)
                offsets.sort()
                let key = accountKeys[rng.below(accountKeys.count)]
                for (i, off) in offsets.enumerated() {
                    let k = rng.permille(700) ? key : accountKeys[rng.below(accountKeys.count)]
                    add(t0 + off, inst, .loginFail(key: k, address: addrs[rng.below(addrs.count)], completes: i == 20))
                }
                size = n
            case .newSource:
                let key = rng.permille(700) && !pool.serviceKeys.isEmpty
                    ? pool.serviceKeys[rng.below(pool.serviceKeys.count)]
                    : pool.userKeys[rng.below(pool.userKeys.count)]
                let v6 = rng.permille(200)
                let a = pool.newForeignAddress(&rng, v6: v6)
                plan.extraAddresses.append(bytes(a))
                plan.extraAddressStrings.append(a)
                plan.extraV6.append(v6)
                add(t0, inst, .newSource(key: key, address: plan.extraAddresses.count - 1))
            }
            plan.instanceSize.append(size)
        }
    }

    for b in backups {
        add(b.t, instance, .backup(dep: b.dep, fail: b.fail, lastBeforeStop: b.last))
        plan.instanceSize.append(1)
        instance += 1
    }

    plan.schedule.sort { $0.t != $1.t ? $0.t < $1.t : $0.seq < $1.seq }
    let endUs = startUs + spanUs
    let scheduledInSpan = plan.schedule.reduce(0) { $0 + ($1.t < endUs ? 1 : 0) }
    let backgroundEvents = max(1, options.events - scheduledInSpan)
    plan.backgroundMeanMicros = max(1, Double(spanUs) / Double(backgroundEvents))
    return plan
}

/// An initiator from the account: a service ID with the given probability, otherwise a user.
func pickWho(_ rng: inout Rand, pool: Pool, account: Int, servicePermille: Int) -> Int {
    let list = rng.permille(servicePermille) ? pool.servicesByAccount[account] : pool.usersByAccount[account]
    return list[rng.below(list.count)]
}

/// Database operations that can be denied (dry run or real): (current object, current verb, legacy object, legacy verb).
let denyOperations: [(StaticString, StaticString, StaticString, StaticString)] = [
    ("deployment-allowlist-ip-addresses", "update", "whitelisted-ips-list", "update"),
    ("deployment", "update", "serviceendpoints", "update"),
    ("deployment-group", "update", "resources", "scale"),
    ("deployment-group-autoscaling", "update", "autoscaling", "update"),
    ("deployment-user", "create", "user", "create"),
    ("deployment-user", "delete", "user", "delete"),
    ("deployment-backup", "create", "backup-ondemand", "create"),
    ("deployment-volumes", "update", "volumes", "update"),
]
