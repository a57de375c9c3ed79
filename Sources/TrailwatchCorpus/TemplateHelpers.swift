// Building blocks shared by the templates: initiators, per-service envelopes, request bodies, outcomes.

extension CorpusGenerator {
    // MARK: initiators

    @inline(__always)
    mutating func pickAddressIndex(_ count: Int) -> Int {
        let r = rng.below(100)
        switch count {
        case 1: return 0
        case 2: return r < 80 ? 0 : 1
        default: return r < 75 ? 0 : (r < 95 ? 1 : 2)
        }
    }

    mutating func setIdentity(_ d: inout Draft, _ who: Int, addressIndex: Int = -1) {
        let n = pool.identities[who].addresses.count
        let ai = addressIndex >= 0 ? addressIndex : pickAddressIndex(n)
        d.address = pool.identities[who].addresses[ai]
        d.addressV6 = pool.identities[who].v6[ai]
        d.initId = pool.identities[who].id
        d.initName = pool.identities[who].name
        if pool.identities[who].isService {
            d.initTypeURI = "service/security/account/serviceid"
            d.credType = "apikey"
        } else {
            d.initTypeURI = "service/security/account/user"
            d.credType = rng.permille(800) ? "token" : "apikey"
        }
        d.agent = pool.identities[who].agents[rng.permille(750) ? 0 : 1]
        d.initProject = rng.permille(350)
    }

    /// The service acting for itself (scheduled jobs, autoscaling): empty id and address, name "IBM".
    func setSystem(_ d: inout Draft) {
        d.initId = Lit.emptyJ
        d.initName = Lit.ibm
        d.initTypeURI = "service/security/account/service"
        d.credType = ""
        d.address = []
        d.agent = nil
        d.initProject = false
    }

    /// A Cloud Databases deployment calling Key Protect (service to service).
    mutating func setServiceToService(_ d: inout Draft, deployment dep: Int) {
        d.initId = s2sIds[dep]
        d.initName = s2sNames[pool.deployments[dep].service]
        d.initTypeURI = "service/security/account/service"
        d.credType = "s2s-authorization"
        d.address = []
        d.agent = nil
        d.initProject = false
    }

    // MARK: Cloud Databases

    @inline(__always)
    mutating func pickLegacy(_ dep: Int) -> Bool {
        pool.deployments[dep].legacyNames ? rng.permille(850) : rng.permille(150)
    }

    mutating func dbBase(
        _ d: inout Draft, _ dep: Int, legacy: Bool,
        _ object: StaticString, _ verb: StaticString, _ oldObject: StaticString, _ oldVerb: StaticString
    ) {
        let s = pool.deployments[dep].service
        let r = pool.deployments[dep].region
        let a = pool.deployments[dep].account
        d.logSourceCRN = pool.deployments[dep].crn
        d.spName = pool.services[s].id
        d.spProject = pool.services[s].projectId
        d.spRegion = pool.regions[r].name
        d.account = pool.accounts[a].id
        d.svc = pool.services[s].id
        d.display = pool.services[s].display
        if legacy {
            d.object = oldObject
            d.verb = oldVerb
        } else {
            d.object = object
            d.verb = verb
        }
        d.targetId = pool.deployments[dep].crn
        d.targetName = pool.deployments[dep].name
        d.msgName = pool.deployments[dep].name
        d.targetHost = pool.regions[r].dbHost
        beginInner(&d)
        iuuid("requestId")
        istr("serviceInstanceId", pool.deployments[dep].uuid)
        if rng.permille(550) { istr("accountId", pool.accounts[a].id) }
        istr("resourceType", "deployment")
    }

    mutating func dbPath(_ d: inout Draft, _ dep: Int, _ suffix: StaticString) {
        guard rng.permille(450) else { return }
        path.removeAll(keepingCapacity: true)
        put(&path, "/v5/ibm/deployments/")
        path.append(contentsOf: pool.deployments[dep].crnEncoded)
        put(&path, suffix)
        d.requestPath = true
    }

    mutating func accepted(_ d: inout Draft, pendingPermille: Int) {
        d.reasonCode = 202
        d.reasonType = "Accepted"
        if pendingPermille > 0 && rng.permille(pendingPermille) { d.outcome = .pending }
    }

    mutating func passwordFailure(_ d: inout Draft) {
        d.outcome = .failure
        if rng.permille(700) {
            d.reasonCode = 400
            d.reasonType = "Bad Request"
            d.reasonForFailure = Lit.pwFailureReasons[0]
        } else {
            d.reasonCode = 409
            d.reasonType = "Conflict"
            d.reasonForFailure = Lit.pwFailureReasons[1]
        }
    }

    /// A Cloud Databases deny: failure, 403, critical, with `requestData.dry_run`.
    mutating func deny(_ d: inout Draft, dryRun: Bool) {
        d.outcome = .failure
        d.reasonCode = 403
        d.reasonType = "Forbidden"
        d.severity = .critical
        d.reasonForFailure = pool.deniedReasons[rng.below(pool.deniedReasons.count)]
        d.requestRequired = true
        ibool("dry_run", dryRun)
    }

    mutating func backupId(_ dep: Int) {
        ikey("backupId")
        inner.append(0x22)
        inner.append(contentsOf: pool.deployments[dep].crn.dropLast())
        put(&inner, "backup:")
        appendUUID(&rng, &inner)
        inner.append(0x22)
    }

    mutating func scaleRequest() {
        let i = rng.below(6)
        iopen("members")
        iint("memory_allocation_mb", [4096, 8192, 12288, 16384, 24576, 32768][i])
        iint("cpu_allocation_count", [0, 3, 3, 6, 9, 12][i])
        iint("disk_allocation_mb", [10240, 20480, 40960, 81920, 102_400, 204_800][rng.below(6)])
        iclose()
        istr("group_id", "member")
    }

    mutating func autoscaleRequest() {
        iopen("autoscaling")
        iopen("disk")
        iopen("scalers")
        iopen("capacity")
        ibool("enabled", true)
        iint("free_space_less_than_percent", 10)
        iclose()
        iclose()
        iopen("rate")
        iint("increase_percent", 20)
        iint("limit_mb_per_member", 3_670_016)
        iclose()
        iclose()
        iclose()
    }

    func kmsInstance(forAccount account: Int) -> Int {
        pool.kmsInstances.firstIndex { $0.account == account } ?? 0
    }

    mutating func cidrArray(_ list: [[UInt8]], extra: [UInt8]?) {
        inner.append(0x5B)
        for (i, c) in list.enumerated() {
            if i > 0 { inner.append(0x2C) }
            inner.append(0x22)
            inner.append(contentsOf: c)
            inner.append(0x22)
        }
        if let e = extra {
            put(&inner, ",\"")
            inner.append(contentsOf: e)
            inner.append(0x22)
        }
        inner.append(0x5D)
    }

    // MARK: VPC load balancers

    mutating func liveLoadBalancer() -> Int? {
        let lb = rng.below(pool.loadBalancers.count)
        return lbDeleted[lb] ? nil : lb
    }

    mutating func lbBase(_ d: inout Draft, _ lb: Int, _ object: StaticString, _ verb: StaticString) {
        let r = pool.loadBalancers[lb].region
        d.logSourceCRN = pool.loadBalancers[lb].crn
        d.spName = Lit.isLoadBalancerProvider
        d.spProject = pool.lbProjectId
        d.spRegion = pool.regions[r].name
        d.account = pool.accounts[pool.loadBalancers[lb].account].id
        d.svc = Lit.isLoadBalancer
        d.display = Lit.lbDisplay
        d.object = object
        d.verb = verb
        d.targetId = pool.loadBalancers[lb].crn
        d.targetName = pool.loadBalancers[lb].name
        d.msgName = pool.loadBalancers[lb].name
        d.targetHost = pool.regions[r].vpcHost
        d.reasonIANA = rng.permille(400)
        beginInner(&d)
        iopen("headers")
        ikey("RayID")
        inner.append(0x22)
        appendHex(rng.next(), digits: 16, &inner)
        inner.append(0x22)
        iclose()
        iopen("extraData")
        istr("resourceName", pool.loadBalancers[lb].id)
        iclose()
        istr("generation", "2")
        iuuid("requestId")
    }

    private mutating func lbPathStart(_ lb: Int) {
        path.removeAll(keepingCapacity: true)
        put(&path, "/v1/load_balancers/")
        path.append(contentsOf: pool.loadBalancers[lb].id)
    }

    private mutating func lbPathDone(_ d: inout Draft) {
        d.requestPath = true
        if rng.permille(350) { istr("requestPath", path) }
    }

    mutating func lbPath(_ d: inout Draft, _ lb: Int, list: Bool, _ suffix: StaticString) {
        if list {
            path.removeAll(keepingCapacity: true)
            put(&path, "/v1/load_balancers")
        } else {
            lbPathStart(lb)
            put(&path, suffix)
        }
        lbPathDone(&d)
    }

    mutating func lbListenerPath(_ d: inout Draft, _ lb: Int, _ listener: Int) {
        lbPathStart(lb)
        put(&path, "/listeners/")
        path.append(contentsOf: pool.loadBalancers[lb].listeners[listener])
        lbPathDone(&d)
    }

    mutating func lbPoolPath(_ d: inout Draft, _ lb: Int, _ suffix: StaticString) {
        lbPathStart(lb)
        put(&path, "/pools/")
        path.append(contentsOf: pool.loadBalancers[lb].pools[0])
        put(&path, suffix)
        lbPathDone(&d)
    }

    mutating func lbOutcome(_ d: inout Draft, success: Int, pendingPermille: Int) {
        if rng.permille(pendingPermille) {
            d.outcome = .pending
            d.reasonCode = 202
            d.reasonType = "Accepted"
        } else {
            d.reasonCode = success
            d.reasonType = success == 201 ? "Created" : "OK"
        }
    }

    mutating func listenerResponse(_ lb: Int, port: Int) {
        var id: [UInt8] = []
        put(&id, "r006-")
        appendUUID(&rng, &id)
        response.removeAll(keepingCapacity: true)
        put(&response, "{\"responseURI\":\"/v1/load_balancers/")
        response.append(contentsOf: pool.loadBalancers[lb].id)
        put(&response, "/listeners/")
        response.append(contentsOf: id)
        put(&response, "\",\"responseContent\":{\"id\":\"")
        response.append(contentsOf: id)
        put(&response, "\",\"port\":")
        appendDecimal(port, &response)
        if port == 80 || port == 8080 {
            put(&response, ",\"protocol\":\"http\"}}")
        } else {
            put(&response, ",\"protocol\":\"https\"}}")
        }
    }

    // MARK: IAM

    mutating func iamBase(_ d: inout Draft, account: Int) {
        d.logSourceCRN = pool.accounts[account].iamCRN
        d.spName = Lit.iamIdentity
        d.spProject = pool.iamProjectId
        d.spRegion = Lit.global
        d.account = pool.accounts[account].id
        d.svc = Lit.iamIdentity
        d.display = Lit.iamDisplay
        d.targetHost = Lit.iamHost
        beginInner(&d)
    }

    mutating func apiKeyLoginBase(_ d: inout Draft, key k: Int) {
        let owner = pool.keys[k].owner
        let account = pool.keys[k].account
        setIdentity(&d, owner)
        d.credType = "apikey"
        iamBase(&d, account: account)
        d.object = pool.keys[k].isService ? "serviceid-apikey" : "user-apikey"
        d.verb = "login"
        d.targetId = pool.keys[k].crn
        d.targetName = pool.keys[k].name
        d.msgName = pool.keys[k].name
        istr("grant_type", "urn:ibm:params:oauth:grant-type:apikey")
        istr("apikey_id", pool.keys[k].id)
        istr("account_id", pool.accounts[account].id)
        istr("client_id", "bx")
        istr("response_type", "cloud_iam")
        iint("token_expiry", 3600)
    }

    /// A background API-key login: failures are rate-limited per account, and after the learning period
    /// successes come only from addresses already seen for the key.
    mutating func apiKeyLogin(_ d: inout Draft, key k: Int, t: Int64) -> Bool {
        let owner = pool.keys[k].owner
        let account = pool.keys[k].account
        var ai = pickAddressIndex(pool.identities[owner].addresses.count)
        let fail = rng.permille(pool.keys[k].isService ? 60 : 80) && loginFailureAllowed(account: account, t: t)
        if !fail {
            if t >= startUs + learningMicros - microsPerMinute && keySeen[k] & UInt8(1 << ai) == 0 {
                guard keySeen[k] != 0 else { return false }
                ai = keySeen[k].trailingZeroBitCount
            }
            keySeen[k] |= UInt8(1 << ai)
        }
        apiKeyLoginBase(&d, key: k)
        d.address = pool.identities[owner].addresses[ai]
        d.addressV6 = pool.identities[owner].v6[ai]
        if fail {
            loginFailure(&d)
            recordLoginFailure(account: account, t: t)
        } else {
            d.reasonCode = 200
        }
        return true
    }

    mutating func loginFailure(_ d: inout Draft) {
        d.outcome = .failure
        d.reasonCode = 400
        d.reasonType = "Bad Request"
        d.reasonForFailure = Lit.loginFailureReasons[rng.below(Lit.loginFailureReasons.count)]
    }

    /// True when the account had fewer than `loginRingSize` failed logins in the last 31 minutes.
    func loginFailureAllowed(account: Int, t: Int64) -> Bool {
        let oldest = loginRing[account * CorpusGenerator.loginRingSize + loginRingPos[account]]
        return t - oldest > 31 * microsPerMinute
    }

    mutating func recordLoginFailure(account: Int, t: Int64) {
        loginRing[account * CorpusGenerator.loginRingSize + loginRingPos[account]] = t
        loginRingPos[account] = (loginRingPos[account] + 1) % CorpusGenerator.loginRingSize
    }

    mutating func policyRequest(subject: Int, account: Int) {
        istr("type", "access")
        ikey("subjects")
        put(&inner, "[{\"attributes\":[{\"name\":\"iam_id\",\"value\":\"")
        inner.append(contentsOf: pool.identities[subject].id.raw)
        put(&inner, "\"}]}]")
        ikey("roles")
        switch rng.below(4) {
        case 0: put(&inner, "[{\"role_id\":\"crn:v1:bluemix:public:iam::::role:Viewer\"}]")
        case 1: put(&inner, "[{\"role_id\":\"crn:v1:bluemix:public:iam::::role:Operator\"}]")
        case 2: put(&inner, "[{\"role_id\":\"crn:v1:bluemix:public:iam::::serviceRole:Writer\"}]")
        default: put(&inner, "[{\"role_id\":\"crn:v1:bluemix:public:iam::::role:Administrator\"}]")
        }
        ikey("resources")
        put(&inner, "[{\"attributes\":[{\"name\":\"accountId\",\"value\":\"")
        inner.append(contentsOf: pool.accounts[account].id)
        put(&inner, "\"},{\"name\":\"serviceName\",\"value\":\"")
        let s = rng.below(pool.services.count + 2)
        if s < pool.services.count {
            inner.append(contentsOf: pool.services[s].id)
        } else if s == pool.services.count {
            put(&inner, "kms")
        } else {
            put(&inner, "is")
        }
        put(&inner, "\"}]}]")
    }

    // MARK: Key Protect

    mutating func kmsEvent(_ d: inout Draft, _ which: BG) {
        let inst = rng.below(pool.kmsInstances.count)
        let account = pool.kmsInstances[inst].account
        let r = pool.kmsInstances[inst].region
        let ki = rng.below(pool.kmsInstances[inst].keys.count)
        let deps = pool.deploymentsByAccount[account]
        if (which == .kmsUnwrap || which == .kmsWrap) && rng.permille(600) && !deps.isEmpty {
            setServiceToService(&d, deployment: deps[rng.below(deps.count)])
        } else {
            setIdentity(&d, pickWho(&rng, pool: pool, account: account, servicePermille: 600))
        }
        d.logSourceCRN = pool.kmsInstances[inst].crn
        d.spName = Lit.kms
        d.spProject = pool.kmsProjectId
        d.spRegion = pool.regions[r].name
        d.account = pool.accounts[account].id
        d.svc = Lit.kms
        d.display = Lit.kmsDisplay
        d.object = "secrets"
        d.targetHost = pool.regions[r].kmsHost
        if which == .kmsList {
            d.targetId = pool.kmsInstances[inst].crn
            d.targetName = Lit.star
        } else {
            d.targetId = pool.kmsInstances[inst].keys[ki].crn
            d.targetName = pool.kmsInstances[inst].keys[ki].name
            d.msgName = pool.kmsInstances[inst].keys[ki].name
        }
        beginInner(&d)
        ikey("requestURI")
        inner.append(0x22)
        put(&inner, "/api/v2/keys")
        if which != .kmsList && which != .kmsCreate {
            inner.append(0x2F)
            inner.append(contentsOf: pool.kmsInstances[inst].keys[ki].id)
        }
        switch which {
        case .kmsUnwrap: put(&inner, "/actions/unwrap")
        case .kmsWrap: put(&inner, "/actions/wrap")
        case .kmsRotate: put(&inner, "/actions/rotate")
        default: break
        }
        inner.append(0x22)
        istr("instance_id", pool.kmsInstances[inst].uuid)
        d.reasonCode = 200
        switch which {
        case .kmsUnwrap, .kmsWrap:
            d.verb = which == .kmsUnwrap ? "unwrap" : "wrap"
            d.dataEvent = true
            iopen("keyVersion")
            iuuid("id")
            iclose()
            ikey("aad")
            put(&inner, "[\"")
            appendUUID(&rng, &inner)
            put(&inner, "\"]")
            if which == .kmsUnwrap && rng.permille(40) {
                d.outcome = .failure
                d.reasonCode = 401
                d.reasonType = "Unauthorized"
                d.reasonForFailure = Lit.kmsUnauthorized
            }
        case .kmsRead:
            d.verb = "read"
            d.dataEvent = true
            if rng.permille(50) {
                d.outcome = .failure
                d.reasonCode = 404
                d.reasonType = "Not Found"
                d.reasonForFailure = Lit.kmsNotFound
            }
        case .kmsList:
            d.verb = "list"
            iint("limit", 200)
            iint("offset", 0)
        case .kmsRotate:
            d.verb = "rotate"
            d.verbClass = .change
            d.reasonCode = 204
            d.reasonType = "No Content"
        case .kmsCreate:
            d.verb = "create"
            istr("name", pool.kmsInstances[inst].keys[ki].name)
            ibool("extractable", false)
            d.reasonCode = 201
            d.reasonType = "Created"
        default:
            d.verb = "delete"
            d.verbClass = .removal
            if rng.permille(400) {
                d.outcome = .failure
                d.reasonCode = 409
                d.reasonType = "Conflict"
                d.reasonForFailure = Lit.kmsRetention
            } else {
                d.reasonCode = 204
                d.reasonType = "No Content"
            }
        }
    }

    // MARK: security groups

    mutating func sgEvent(_ d: inout Draft, _ which: BG) {
        let g = rng.below(pool.securityGroups.count)
        let account = pool.securityGroups[g].account
        let r = pool.securityGroups[g].region
        setIdentity(&d, pickWho(&rng, pool: pool, account: account, servicePermille: 500))
        d.initProject = true
        d.logSourceCRN = pool.securityGroups[g].crn
        d.spName = Lit.isSecurityGroupProvider
        d.spProject = pool.sgProjectId
        d.spRegion = pool.regions[r].name
        d.account = pool.accounts[account].id
        d.svc = Lit.isSecurityGroup
        d.display = Lit.sgDisplay
        d.targetId = pool.securityGroups[g].crn
        d.targetName = pool.securityGroups[g].name
        d.msgName = pool.securityGroups[g].name
        d.targetHost = pool.regions[r].vpcHost
        d.reasonIANA = rng.permille(400)
        beginInner(&d)
        path.removeAll(keepingCapacity: true)
        put(&path, "/v1/security_groups/")
        path.append(contentsOf: pool.securityGroups[g].id)
        switch which {
        case .sgRuleCreate, .sgRuleDelete:
            d.object = "security-group-rule"
            put(&path, "/rules")
            istr("direction", rng.permille(800) ? "inbound" : "outbound")
            istr("ip_version", "ipv4")
            let p = rng.below(5)
            istr("protocol", p == 4 ? "udp" : "tcp")
            let port = [22, 443, 5432, 6379, 53][p]
            iint("port_min", port)
            iint("port_max", port)
            iopen("remote")
            ikey("cidr_block")
            inner.append(0x22)
            if rng.permille(300) {
                inner.append(contentsOf: Lit.worldCIDR)
            } else {
                put(&inner, "10.")
                appendDecimal(rng.below(256), &inner)
                put(&inner, ".0.0/16")
            }
            inner.append(0x22)
            iclose()
            if which == .sgRuleCreate {
                d.verb = "create"
                if rng.permille(80) {
                    d.outcome = .failure
                    if rng.permille(600) {
                        d.reasonCode = 400
                        d.reasonType = "Bad Request"
                        d.reasonForFailure = Lit.sgConflict
                    } else {
                        d.reasonCode = 403
                        d.reasonType = "Forbidden"
                    }
                } else {
                    d.reasonCode = 201
                    d.reasonType = "Created"
                }
            } else {
                d.verb = "delete"
                d.verbClass = .removal
                d.reasonCode = 204
                d.reasonType = "No Content"
            }
        case .sgRead:
            d.object = "security-group"
            d.verb = "read"
            istr("vpc_id", pool.securityGroups[g].id)
        default:
            d.object = "security-group"
            d.verb = "update"
            d.verbClass = .change
            istr("name", pool.securityGroups[g].name)
        }
        istr("generation", "2")
        iuuid("requestId")
        d.requestPath = true
    }
}
