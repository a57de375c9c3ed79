// Event templates: the weighted background mix and the scheduled (backup and incident) events.

/// Background actions and their weights (per mille of the background, roughly).
enum BG: Int, CaseIterable {
    case dbPassword, dbOnDemand, dbUserCreate, dbUserDelete, dbScale, dbAutoscale, dbVolumes, dbVersion, dbRestore
    case dbDryRunDeny
    case lbRead, lbUpdate, lbCreate, lbListenerCreate, lbListenerUpdate, lbListenerCreateSeed, lbPoolMemberCreate
    case lbPoolUpdate
    case loginUserKey, loginServiceKey, loginRefreshToken, loginPasscode
    case iamKeyCreate, iamKeyUpdate, iamKeyDelete, iamServiceKeyCreate, iamServiceIdUpdate
    case iamPolicyCreate, iamPolicyUpdate, iamPolicyDelete, iamGroupAdd, iamGroupRemove
    case kmsUnwrap, kmsWrap, kmsRead, kmsList, kmsRotate, kmsCreate, kmsDelete
    case sgRuleCreate, sgRuleDelete, sgRead, sgUpdate

    var weight: Int {
        switch self {
        case .dbPassword: return 50
        case .dbOnDemand: return 25
        case .dbUserCreate: return 14
        case .dbUserDelete: return 10
        case .dbScale: return 18
        case .dbAutoscale: return 18
        case .dbVolumes: return 8
        case .dbVersion: return 4
        case .dbRestore: return 5
        case .dbDryRunDeny: return 70
        case .lbRead: return 50
        case .lbUpdate: return 20
        case .lbCreate: return 8
        case .lbListenerCreate: return 18
        case .lbListenerUpdate: return 14
        case .lbListenerCreateSeed: return 10
        case .lbPoolMemberCreate: return 15
        case .lbPoolUpdate: return 10
        case .loginUserKey: return 70
        case .loginServiceKey: return 90
        case .loginRefreshToken: return 35
        case .loginPasscode: return 5
        case .iamKeyCreate: return 8
        case .iamKeyUpdate: return 5
        case .iamKeyDelete: return 5
        case .iamServiceKeyCreate: return 5
        case .iamServiceIdUpdate: return 8
        case .iamPolicyCreate: return 12
        case .iamPolicyUpdate: return 8
        case .iamPolicyDelete: return 5
        case .iamGroupAdd: return 10
        case .iamGroupRemove: return 6
        case .kmsUnwrap: return 80
        case .kmsWrap: return 40
        case .kmsRead: return 20
        case .kmsList: return 15
        case .kmsRotate: return 6
        case .kmsCreate: return 5
        case .kmsDelete: return 3
        case .sgRuleCreate: return 25
        case .sgRuleDelete: return 10
        case .sgRead: return 20
        case .sgUpdate: return 6
        }
    }
}

extension CorpusGenerator {
    // MARK: background

    mutating func backgroundDraft(_ d: inout Draft, t: Int64) {
        for _ in 0..<16 {
            let which = BG(rawValue: rng.weighted(backgroundWeights, total: backgroundTotal))!
            if background(which, &d, t: t) { return }
            d = Draft()
        }
        _ = background(.kmsUnwrap, &d, t: t)
    }

    /// Fills `d` with one background event; false when the choice would look like a planted incident (draw again).
    mutating func background(_ which: BG, _ d: inout Draft, t: Int64) -> Bool {
        switch which {
        case .dbPassword:
            let dep = rng.below(pool.deployments.count)
            let who = pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 250)
            setIdentity(&d, who)
            let legacy = pickLegacy(dep)
            dbBase(&d, dep, legacy: legacy, "deployment-user", "update", "user-password", "update")
            d.verbClass = .change
            let users = pool.deployments[dep].dbUsers
            istr("userType", "database")
            istr("userName", users[rng.below(users.count)])
            dbPath(&d, dep, "/users/database")
            // A failed update only when the deployment had none in the last 31 minutes: never a burst.
            if rng.permille(90) && t - pwFailLast[dep] > 31 * microsPerMinute {
                pwFailLast[dep] = t
                passwordFailure(&d)
            } else {
                d.reasonCode = 200
                d.reasonType = "OK"
            }
        case .dbOnDemand:
            let dep = rng.below(pool.deployments.count)
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 400))
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-backup", "create", "backup-ondemand", "create")
            istr("backupType", "on_demand")
            backupId(dep)
            dbPath(&d, dep, "/backups")
            accepted(&d, pendingPermille: 100)
        case .dbUserCreate:
            let dep = rng.below(pool.deployments.count)
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 300))
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-user", "create", "user", "create")
            istr("userType", "database")
            istr("userName", Lit.newDBUserNames[rng.below(Lit.newDBUserNames.count)])
            istr("role", rng.permille(300) ? "admin" : "member")
            dbPath(&d, dep, "/users/database")
            accepted(&d, pendingPermille: 0)
            userCreateLast[dep] = t
        case .dbUserDelete:
            let dep = rng.below(pool.deployments.count)
            // Never within an hour of a user creation on the deployment: that sequence is planted.
            guard t - userCreateLast[dep] > 61 * microsPerMinute else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 300))
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-user", "delete", "user", "delete")
            d.verbClass = .removal
            istr("userType", "database")
            istr("userName", Lit.newDBUserNames[rng.below(Lit.newDBUserNames.count)])
            dbPath(&d, dep, "/users/database")
            accepted(&d, pendingPermille: 0)
        case .dbScale:
            let dep = rng.below(pool.deployments.count)
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 400))
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-group", "update", "resources", "scale")
            d.verbClass = .change
            scaleRequest()
            dbPath(&d, dep, "/groups/member")
            accepted(&d, pendingPermille: 100)
        case .dbAutoscale:
            let dep = rng.below(pool.deployments.count)
            let system = rng.permille(500)
            if system { setSystem(&d) } else {
                setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 400))
            }
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-group-autoscaling", "update", "autoscaling", "update")
            d.verbClass = .change
            if system { d.msgExtra = autoscaleExtra[dep] }
            autoscaleRequest()
            dbPath(&d, dep, "/groups/member/autoscaling")
            accepted(&d, pendingPermille: 50)
        case .dbVolumes:
            let dep = rng.below(pool.deployments.count)
            if rng.permille(500) { setSystem(&d) } else {
                setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 400))
            }
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-volumes", "update", "volumes", "update")
            d.verbClass = .change
            istr("updateType", "key rotation")
            let inst = kmsInstance(forAccount: pool.deployments[dep].account)
            istr("keyProtectKey", pool.kmsInstances[inst].keys[0].crn)
            d.reasonCode = 200
        case .dbVersion:
            let dep = rng.below(pool.deployments.count)
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 500))
            dbBase(&d, dep, legacy: pickLegacy(dep), "deployment-version", "update", "version", "update")
            d.verbClass = .change
            istr("version", rng.permille(500) ? "16" : "15")
            ibool("skip_backup", false)
            istr("expiration_date", "2026-09-30T00:00:00Z")
            accepted(&d, pendingPermille: 150)
        case .dbRestore:
            let dep = rng.below(pool.deployments.count)
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.deployments[dep].account, servicePermille: 300))
            dbBase(&d, dep, legacy: true, "backup", "restore", "backup", "restore")
            d.verbClass = .change
            backupId(dep)
            istr("targetDeployment", pool.deployments[dep].name)
            dbPath(&d, dep, "/restores")
            accepted(&d, pendingPermille: 150)
        case .dbDryRunDeny:
            // Console probes: the UI asks whether the user may do something; frequent and harmless.
            let dep = rng.below(pool.deployments.count)
            let users = pool.usersByAccount[pool.deployments[dep].account]
            setIdentity(&d, users[rng.below(users.count)])
            d.agent = pool.browserAgents[rng.below(pool.browserAgents.count - 1)]
            d.credType = "token"
            let op = denyOperations[rng.below(denyOperations.count)]
            dbBase(&d, dep, legacy: pickLegacy(dep), op.0, op.1, op.2, op.3)
            deny(&d, dryRun: true)
        case .lbRead:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 500))
            lbBase(&d, lb, "load-balancer", "read")
            if rng.permille(300) {
                d.targetName = Lit.star
                lbPath(&d, lb, list: true, "")
            } else {
                lbPath(&d, lb, list: false, "")
            }
            d.reasonCode = 200
        case .lbUpdate:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 500))
            lbBase(&d, lb, "load-balancer", "update")
            d.verbClass = .change
            istr("name", pool.loadBalancers[lb].name)
            ibool("logging_datapath_active", rng.permille(500))
            lbPath(&d, lb, list: false, "")
            lbOutcome(&d, success: 200, pendingPermille: 100)
        case .lbCreate:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 600))
            lbBase(&d, lb, "load-balancer", "create")
            istr("profile", rng.permille(500) ? "network-fixed" : "dynamic")
            ibool("is_public", rng.permille(600))
            lbPath(&d, lb, list: true, "")
            lbOutcome(&d, success: 201, pendingPermille: 200)
        case .lbListenerCreate, .lbListenerCreateSeed:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 500))
            if which == .lbListenerCreateSeed {
                // The older shape from IBM's VPC load balancer sample.
                lbBase(&d, lb, "load-balancer.listener", "create")
                d.msgSeedStyle = true
                d.targetName = JStr.plain(pool.loadBalancers[lb].id)
                d.msgName = d.targetName
                d.targetTypeURIIsPath = true
            } else {
                lbBase(&d, lb, "load-balancer-listener", "create")
            }
            let port = [80, 443, 8080, 8443][rng.below(4)]
            iint("port", port)
            istr("protocol", port == 80 || port == 8080 ? "http" : "https")
            lbPath(&d, lb, list: false, "/listeners")
            lbOutcome(&d, success: 201, pendingPermille: 100)
            if d.outcome == .success && !d.msgSeedStyle { listenerResponse(lb, port: port) }
            d.reasonIANA = d.msgSeedStyle || d.reasonIANA
        case .lbListenerUpdate:
            guard let lb = liveLoadBalancer() else { return false }
            let li = rng.below(pool.loadBalancers[lb].listeners.count)
            guard !listenerDeleted[lb][li] else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 500))
            lbBase(&d, lb, "load-balancer-listener", "update")
            d.verbClass = .change
            iint("connection_limit", [2000, 5000, 15000][rng.below(3)])
            iint("idle_connection_timeout", 50)
            lbListenerPath(&d, lb, li)
            lbOutcome(&d, success: 200, pendingPermille: 100)
        case .lbPoolMemberCreate:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 700))
            lbBase(&d, lb, "load-balancer-pool-member", "create")
            iint("port", 8080)
            iopen("target")
            ikey("address")
            inner.append(0x22)
            put(&inner, "10.")
            appendDecimal(rng.below(256), &inner)
            inner.append(0x2E)
            appendDecimal(rng.below(256), &inner)
            inner.append(0x2E)
            appendDecimal(rng.between(4, 250), &inner)
            inner.append(0x22)
            iclose()
            iint("weight", 50)
            lbPoolPath(&d, lb, "/members")
            lbOutcome(&d, success: 201, pendingPermille: 100)
        case .lbPoolUpdate:
            guard let lb = liveLoadBalancer() else { return false }
            setIdentity(&d, pickWho(&rng, pool: pool, account: pool.loadBalancers[lb].account, servicePermille: 600))
            lbBase(&d, lb, "load-balancer-pool", "update")
            d.verbClass = .change
            istr("algorithm", rng.permille(500) ? "round_robin" : "least_connections")
            iopen("health_monitor")
            iint("delay", 5)
            iint("max_retries", 2)
            iint("timeout", 2)
            istr("type", "http")
            istr("url_path", "/healthz")
            iclose()
            lbPoolPath(&d, lb, "")
            lbOutcome(&d, success: 200, pendingPermille: 100)
        case .loginUserKey, .loginServiceKey:
            let keys = which == .loginUserKey ? pool.userKeys : pool.serviceKeys
            guard !keys.isEmpty else { return false }
            return apiKeyLogin(&d, key: keys[rng.below(keys.count)], t: t)
        case .loginRefreshToken, .loginPasscode:
            let who = rng.below(72)  // users come first in the pool
            setIdentity(&d, who)
            d.credType = which == .loginPasscode ? "user" : "token"
            d.agent = pool.identities[who].agents[which == .loginPasscode ? 1 : 0]
            iamBase(&d, account: pool.identities[who].account)
            d.object = which == .loginPasscode ? "user-passcode" : "user-refreshtoken"
            d.verb = "login"
            d.targetId = pool.identities[who].selfCRN
            d.targetName = pool.identities[who].name
            d.msgName = pool.identities[who].name
            istr("grant_type", which == .loginPasscode ? "urn:ibm:params:oauth:grant-type:passcode" : "refresh_token")
            istr("client_id", "bx")
            istr("account_id", pool.accounts[pool.identities[who].account].id)
            istr("response_type", "cloud_iam")
            d.reasonCode = 200
        case .iamKeyCreate, .iamKeyDelete, .iamServiceKeyCreate:
            let service = which == .iamServiceKeyCreate
            let account = rng.below(pool.accounts.count)
            let list = service ? pool.servicesByAccount[account] : pool.usersByAccount[account]
            let who = list[rng.below(list.count)]
            setIdentity(&d, who)
            iamBase(&d, account: account)
            d.object = service ? "serviceid-apikey" : "user-apikey"
            d.verb = which == .iamKeyDelete ? "delete" : "create"
            d.verbClass = which == .iamKeyDelete ? .removal : .routine
            var target: [UInt8] = pool.accounts[account].iamCRN.dropLast(2) + Array("::apikey:ApiKey-".utf8)
            appendUUID(&rng, &target)
            d.targetId = target
            let name = Lit.transientKeyNames[rng.below(Lit.transientKeyNames.count)]
            d.targetName = name
            d.msgName = name
            istr("name", name)
            istr("iam_id", pool.identities[who].id)
            istr("account_id", pool.accounts[account].id)
            ibool("store_value", false)
            d.reasonCode = which == .iamKeyDelete ? 204 : 201
            d.reasonType = which == .iamKeyDelete ? "No Content" : "Created"
        case .iamKeyUpdate:
            guard !pool.userKeys.isEmpty else { return false }
            let key = pool.keys[pool.userKeys[rng.below(pool.userKeys.count)]]
            setIdentity(&d, key.owner)
            iamBase(&d, account: key.account)
            d.object = "user-apikey"
            d.verb = "update"
            d.verbClass = .change
            d.targetId = key.crn
            d.targetName = key.name
            d.msgName = key.name
            istr("instance_name", key.name)
            istr("prev_instance_name", key.name)
            ibool("lock", rng.permille(300))
            d.reasonCode = 200
        case .iamServiceIdUpdate:
            let account = rng.below(pool.accounts.count)
            let users = pool.usersByAccount[account]
            let services = pool.servicesByAccount[account]
            let target = services[rng.below(services.count)]
            setIdentity(&d, users[rng.below(users.count)])
            iamBase(&d, account: account)
            d.object = "account-serviceid"
            d.verb = "update"
            d.verbClass = .change
            d.targetId = pool.identities[target].selfCRN
            d.targetName = pool.identities[target].name
            d.msgName = pool.identities[target].name
            let r = rng.below(1000)
            if r < 80 {
                // A locked service ID cannot be changed (IAM reports 409 and critical).
                ibool("lock", true)
                d.outcome = .failure
                d.reasonCode = 409
                d.reasonType = "Conflict"
                d.reasonForFailure = Lit.serviceIdLocked
                d.severity = .critical
            } else if r < 140 {
                // Not authorized: IAM leaves the initiator's name empty.
                ibool("lock", false)
                d.initName = Lit.emptyJ
                d.outcome = .failure
                d.reasonCode = 403
                d.reasonType = "Forbidden"
            } else {
                ibool("lock", false)
                d.reasonCode = 200
            }
            istr("instance_name", pool.identities[target].name)
            istr("prev_instance_name", pool.identities[target].name)
        case .iamPolicyCreate, .iamPolicyUpdate, .iamPolicyDelete:
            let account = rng.below(pool.accounts.count)
            let users = pool.usersByAccount[account]
            let subject = pool.identitiesByAccount[account][rng.below(pool.identitiesByAccount[account].count)]
            setIdentity(&d, users[rng.below(users.count)])
            iamBase(&d, account: account)
            d.svc = Lit.iamAM
            d.display = Lit.iamAMDisplay
            d.logSourceCRN = pool.accounts[account].iamAMCRN
            d.spName = Lit.iamAM
            d.spProject = pool.iamAMProjectId
            d.object = "policy"
            switch which {
            case .iamPolicyCreate: d.verb = "create"
            case .iamPolicyUpdate: d.verb = "update"; d.verbClass = .change
            default: d.verb = "delete"; d.verbClass = .removal
            }
            var target: [UInt8] = Array("crn:v1:bluemix:public:iam-am::a/".utf8) + pool.accounts[account].id
            put(&target, "::policy:")
            let policyStart = target.count
            appendUUID(&rng, &target)
            d.targetId = target
            d.targetName = JStr.plain(Array(target[policyStart...]))
            d.msgName = d.targetName
            policyRequest(subject: subject, account: account)
            if rng.permille(70) {
                d.outcome = .failure
                d.reasonCode = 403
                d.reasonType = "Forbidden"
                d.reasonForFailure = pool.deniedReasons[1]
            } else {
                d.reasonCode = which == .iamPolicyCreate ? 201 : (which == .iamPolicyDelete ? 204 : 200)
                d.reasonType = which == .iamPolicyCreate ? "Created" : (which == .iamPolicyDelete ? "No Content" : "OK")
            }
        case .iamGroupAdd, .iamGroupRemove:
            let g = rng.below(pool.accessGroups.count)
            let group = pool.accessGroups[g]
            let users = pool.usersByAccount[group.account]
            setIdentity(&d, users[rng.below(users.count)])
            iamBase(&d, account: group.account)
            d.svc = Lit.iamGroups
            d.display = Lit.iamGroupsDisplay
            d.logSourceCRN = pool.accounts[group.account].iamGroupsCRN
            d.spName = Lit.iamGroups
            d.spProject = pool.iamGroupsProjectId
            d.object = "member"
            d.verb = which == .iamGroupAdd ? "add" : "delete"
            d.verbClass = which == .iamGroupAdd ? .change : .removal
            d.targetId = group.crn
            d.targetName = group.name
            d.msgName = group.name
            let member = pool.identitiesByAccount[group.account][rng.below(pool.identitiesByAccount[group.account].count)]
            ikey("members")
            put(&inner, "[{\"iam_id\":\"")
            inner.append(contentsOf: pool.identities[member].id.raw)
            put(&inner, pool.identities[member].isService ? "\",\"type\":\"service\"}]" : "\",\"type\":\"user\"}]")
            istr("group_id", group.id)
            istr("account_id", pool.accounts[group.account].id)
            d.reasonCode = which == .iamGroupAdd ? 200 : 204
            d.reasonType = which == .iamGroupAdd ? "OK" : "No Content"
        case .kmsUnwrap, .kmsWrap, .kmsRead, .kmsList, .kmsRotate, .kmsCreate, .kmsDelete:
            kmsEvent(&d, which)
        case .sgRuleCreate, .sgRuleDelete, .sgRead, .sgUpdate:
            sgEvent(&d, which)
        }
        return true
    }

    // MARK: scheduled

    mutating func scheduledDraft(_ d: inout Draft, _ kind: SchedKind, t: Int64) {
        switch kind {
        case let .backup(dep, fail, lastBeforeStop):
            setSystem(&d)
            dbBase(&d, dep, legacy: pool.deployments[dep].legacyNames,
                   "deployment-backup-scheduled", "create", "backup-scheduled", "create")
            istr("backupType", "scheduled")
            ikey("schedule")
            inner.append(0x22)
            put(&inner, "daily@")
            appendPadded(pool.deployments[dep].backupHour, width: 2, &inner)
            inner.append(0x3A)
            appendPadded(pool.deployments[dep].backupMinute, width: 2, &inner)
            inner.append(0x22)
            iint("retentionDays", 30)
            backupId(dep)
            if fail {
                d.outcome = .failure
                d.reasonCode = 500
                d.reasonType = "Internal Server Error"
                d.reasonForFailure = Lit.backupFailureReasons[rng.below(Lit.backupFailureReasons.count)]
                planted.failedScheduledBackups += 1
            } else {
                d.reasonCode = 200
            }
            if lastBeforeStop, let i = stoppedDeployments.firstIndex(of: dep) {
                stopDeadline[i] = t + backupSilenceMicros
            }
        case let .pwFail(dep, who, legacy, user, completes):
            setIdentity(&d, who, addressIndex: 0)
            dbBase(&d, dep, legacy: legacy, "deployment-user", "update", "user-password", "update")
            d.verbClass = .change
            istr("userType", "database")
            istr("userName", pool.deployments[dep].dbUsers[user])
            dbPath(&d, dep, "/users/database")
            pwFailLast[dep] = t
            passwordFailure(&d)
            if completes { planted.passwordFailureBursts += 1 }
        case let .realDeny(dep, who, op, legacy):
            setIdentity(&d, who)
            let o = denyOperations[op]
            dbBase(&d, dep, legacy: legacy, o.0, o.1, o.2, o.3)
            deny(&d, dryRun: false)
            planted.realDenies += 1
        case let .onDemandFail(dep, who, legacy):
            setIdentity(&d, who)
            dbBase(&d, dep, legacy: legacy, "deployment-backup", "create", "backup-ondemand", "create")
            istr("backupType", "on_demand")
            backupId(dep)
            dbPath(&d, dep, "/backups")
            d.outcome = .failure
            d.reasonCode = 500
            d.reasonType = "Internal Server Error"
            d.reasonForFailure = Lit.backupFailureReasons[rng.below(Lit.backupFailureReasons.count)]
            planted.failedOnDemandBackups += 1
        case let .restoreFail(dep, who):
            setIdentity(&d, who)
            dbBase(&d, dep, legacy: true, "backup", "restore", "backup", "restore")
            d.verbClass = .change
            backupId(dep)
            istr("targetDeployment", pool.deployments[dep].name)
            dbPath(&d, dep, "/restores")
            d.outcome = .failure
            d.reasonCode = rng.permille(500) ? 500 : 422
            d.reasonType = d.reasonCode == 500 ? "Internal Server Error" : "Unprocessable Entity"
            d.reasonForFailure = Lit.restoreFailureReasons[rng.below(Lit.restoreFailureReasons.count)]
            planted.failedRestores += 1
        case let .allowlist(dep, who, legacy, world):
            setIdentity(&d, who)
            dbBase(&d, dep, legacy: legacy, "deployment-allowlist-ip-addresses", "update", "whitelisted-ips-list", "update")
            d.verbClass = .change
            d.requestRequired = true
            istr("updateType", "allowlist changed")
            let current = pool.deployments[dep].allowlist
            ikey("initialValue")
            cidrArray(current, extra: nil)
            ikey("newValue")
            if world {
                cidrArray(current, extra: Lit.worldCIDR)
            } else {
                let a = randomPublicIPv4(&rng, firstOctets: Pool.usualFirstOctets)
                cidrArray(current, extra: bytes(a + "/32"))
            }
            dbPath(&d, dep, "/allowlists/ip_addresses")
            accepted(&d, pendingPermille: 0)
            planted.allowlistChanges += 1
            if world { planted.allowlistOpenedToWorld += 1 }
        case let .endpoints(dep, who, legacy):
            setIdentity(&d, who)
            dbBase(&d, dep, legacy: legacy, "deployment", "update", "serviceendpoints", "update")
            d.verbClass = .change
            istr("service_endpoints", rng.permille(500) ? "public-and-private" : "public")
            istr("previous_service_endpoints", "private")
            dbPath(&d, dep, "")
            accepted(&d, pendingPermille: 0)
            planted.serviceEndpointChanges += 1
        case let .userCreate(dep, who, legacy, user), let .userDelete(dep, who, legacy, user):
            let create: Bool
            if case .userCreate = kind { create = true } else { create = false }
            setIdentity(&d, who, addressIndex: 0)
            dbBase(&d, dep, legacy: legacy, "deployment-user", create ? "create" : "delete", "user", create ? "create" : "delete")
            d.verbClass = create ? .routine : .removal
            istr("userType", "database")
            istr("userName", pool.incidentUserNames[user])
            if create { istr("role", "admin") }
            dbPath(&d, dep, "/users/database")
            accepted(&d, pendingPermille: 0)
            if create {
                userCreateLast[dep] = t
            } else {
                planted.usersCreatedThenDeleted += 1
            }
        case let .scaleFail(dep, who, variant):
            if who < 0 { setSystem(&d) } else { setIdentity(&d, who) }
            switch variant {
            case 0, 1:
                dbBase(&d, dep, legacy: variant == 1, "deployment-group", "update", "resources", "scale")
                scaleRequest()
                dbPath(&d, dep, "/groups/member")
            default:
                dbBase(&d, dep, legacy: variant == 3, "deployment-group-autoscaling", "update", "autoscaling", "update")
                if who < 0 { d.msgExtra = autoscaleExtra[dep] }
                autoscaleRequest()
                dbPath(&d, dep, "/groups/member/autoscaling")
            }
            d.verbClass = .change
            d.outcome = .failure
            d.reasonCode = rng.permille(500) ? 422 : 500
            d.reasonType = d.reasonCode == 500 ? "Internal Server Error" : "Unprocessable Entity"
            d.reasonForFailure = Lit.scaleFailureReasons[rng.below(Lit.scaleFailureReasons.count)]
            planted.scalingFailures += 1
        case let .lbDelete(lb, who):
            setIdentity(&d, who)
            lbBase(&d, lb, "load-balancer", "delete")
            d.verbClass = .removal
            istr("name", pool.loadBalancers[lb].name)
            lbPath(&d, lb, list: false, "")
            d.reasonCode = 204
            d.reasonType = "No Content"
            lbDeleted[lb] = true
            planted.loadBalancersDeleted += 1
        case let .listenerDelete(lb, listener, who):
            setIdentity(&d, who)
            lbBase(&d, lb, "load-balancer-listener", "delete")
            d.verbClass = .removal
            iint("port", pool.loadBalancers[lb].listenerPorts[listener])
            lbListenerPath(&d, lb, listener)
            d.reasonCode = 204
            d.reasonType = "No Content"
            listenerDeleted[lb][listener] = true
            planted.listenersDeleted += 1
        case let .lbFail(lb, who, variant):
            setIdentity(&d, who)
            switch variant {
            case 0:
                lbBase(&d, lb, "load-balancer", "update")
                d.verbClass = .change
                istr("name", pool.loadBalancers[lb].name)
                lbPath(&d, lb, list: false, "")
                d.reasonCode = 409
                d.reasonType = "Conflict"
                d.reasonForFailure = Lit.lbFailureReasons[0]
            case 1:
                lbBase(&d, lb, "load-balancer-listener", "create")
                iint("port", 443)
                istr("protocol", "https")
                lbPath(&d, lb, list: false, "/listeners")
                d.reasonCode = 400
                d.reasonType = "Bad Request"
                d.reasonForFailure = Lit.lbFailureReasons[1]
            default:
                lbBase(&d, lb, "load-balancer-pool-member", "create")
                iint("port", 8080)
                lbPoolPath(&d, lb, "/members")
                d.reasonCode = 400
                d.reasonType = "Bad Request"
                d.reasonForFailure = Lit.lbFailureReasons[2]
            }
            d.outcome = .failure
            planted.loadBalancerFailures += 1
        case let .loginFail(key, address, completes):
            apiKeyLoginBase(&d, key: key)
            d.address = extraAddresses[address]
            d.addressV6 = extraV6[address]
            d.agent = pool.automationAgents[2]
            loginFailure(&d)
            recordLoginFailure(account: pool.keys[key].account, t: t)
            if completes { planted.failedLoginBursts += 1 }
        case let .newSource(key, address):
            apiKeyLoginBase(&d, key: key)
            d.address = extraAddresses[address]
            d.addressV6 = extraV6[address]
            d.reasonCode = 200
            planted.newSourceLogins += 1
        }
    }
}

extension JStr {
    /// A JStr for ASCII bytes that need no escaping (ids).
    static func plain(_ b: [UInt8]) -> JStr {
        JStr(String(decoding: b, as: UTF8.self))
    }
}

extension Lit {
    static let serviceIdLocked = JStr("The service ID is locked and cannot be changed")
    static let kmsUnauthorized = JStr("Unauthorized: The user does not have access to the specified resource")
    static let kmsNotFound = JStr("Not Found: Key with specified ID could not be found")
    static let kmsRetention = JStr("Conflict: key is protecting one or more resources with a retention policy")
    static let sgConflict = JStr("The rule conflicts with an existing rule in the security group")
}
