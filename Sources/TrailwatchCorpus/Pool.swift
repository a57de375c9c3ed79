// The entity pool: accounts, deployments, load balancers, identities with their usual source addresses,
// API keys, Key Protect keys, security groups. Built once from the seed (its own random stream), so the
// same seed has the same entities whatever the number of events.

struct Account {
    let id: [UInt8]
    let idString: String
    let label: String
    let iamCRN: [UInt8]
    let iamAMCRN: [UInt8]
    let iamGroupsCRN: [UInt8]
}

struct DBService {
    let id: [UInt8]
    let idString: String
    let display: [UInt8]
    let short: String
    let projectId: [UInt8]
}

struct Region {
    let name: [UInt8]
    let nameString: String
    let dbHost: [UInt8]
    let vpcHost: [UInt8]
    let kmsHost: [UInt8]
}

struct Deployment {
    let service: Int
    let account: Int
    let region: Int
    let uuid: [UInt8]
    let crn: [UInt8]
    let crnString: String
    let name: JStr
    let nameString: String
    let backupHour: Int
    let backupMinute: Int
    let legacyNames: Bool
    let dbUsers: [JStr]
    let allowlist: [[UInt8]]
    /// The CRN as it appears URL-encoded in API paths.
    let crnEncoded: [UInt8]
}

struct Identity {
    let isService: Bool
    let account: Int
    let id: JStr
    let idString: String
    let name: JStr
    let nameString: String
    let addresses: [[UInt8]]
    let addressStrings: [String]
    let v6: [Bool]
    let agents: [JStr]
    var keys: [Int]
    /// The identity as a login or IAM target.
    let selfCRN: [UInt8]
}

struct APIKey {
    let owner: Int
    let account: Int
    let isService: Bool
    let id: [UInt8]
    let crn: [UInt8]
    let crnString: String
    let name: JStr
    let nameString: String
}

struct LoadBalancer {
    let account: Int
    let region: Int
    let id: [UInt8]
    let crn: [UInt8]
    let name: JStr
    let nameString: String
    let listeners: [[UInt8]]
    let listenerPorts: [Int]
    let pools: [[UInt8]]
}

struct SecurityGroup {
    let account: Int
    let region: Int
    let id: [UInt8]
    let crn: [UInt8]
    let name: JStr
}

struct KMSKey {
    let id: [UInt8]
    let name: JStr
    let crn: [UInt8]
}

struct KMSInstance {
    let account: Int
    let region: Int
    let uuid: [UInt8]
    let crn: [UInt8]
    let keys: [KMSKey]
}

struct AccessGroup {
    let account: Int
    let id: [UInt8]
    let name: JStr
    let crn: [UInt8]
}

/// Everything events refer to.
struct Pool {
    var accounts: [Account] = []
    var services: [DBService] = []
    var regions: [Region] = []
    var deployments: [Deployment] = []
    var identities: [Identity] = []
    var keys: [APIKey] = []
    var loadBalancers: [LoadBalancer] = []
    var securityGroups: [SecurityGroup] = []
    var kmsInstances: [KMSInstance] = []
    var accessGroups: [AccessGroup] = []

    var usersByAccount: [[Int]] = []
    var servicesByAccount: [[Int]] = []
    var identitiesByAccount: [[Int]] = []
    var userKeys: [Int] = []
    var serviceKeys: [Int] = []
    var deploymentsByAccount: [[Int]] = []
    var lbProjectId: [UInt8] = []
    var sgProjectId: [UInt8] = []
    var iamProjectId: [UInt8] = []
    var iamAMProjectId: [UInt8] = []
    var iamGroupsProjectId: [UInt8] = []
    var kmsProjectId: [UInt8] = []

    /// Every usual source address, so incident addresses are guaranteed to be new.
    var usualAddresses: Set<String> = []

    var browserAgents: [JStr] = []
    var automationAgents: [JStr] = []
    var cliAgents: [JStr] = []
    var incidentUserNames: [JStr] = []
    var deniedReasons: [JStr] = []

    init(seed: UInt64) {
        var rng = Rand(seed: seed, stream: 1)
        build(&rng)
    }

    // MARK: building

    private mutating func build(_ rng: inout Rand) {
        let labels = ["prod", "staging", "sandbox"]
        for label in labels {
            let id = hexString(&rng, digits: 32)
            accounts.append(Account(
                id: bytes(id), idString: id, label: label,
                iamCRN: bytes("crn:v1:bluemix:public:iam-identity::a/\(id):::"),
                iamAMCRN: bytes("crn:v1:bluemix:public:iam-am::a/\(id):::"),
                iamGroupsCRN: bytes("crn:v1:bluemix:public:iam-groups::a/\(id):::")))
        }
        usersByAccount = Array(repeating: [], count: accounts.count)
        servicesByAccount = Array(repeating: [], count: accounts.count)
        identitiesByAccount = Array(repeating: [], count: accounts.count)
        deploymentsByAccount = Array(repeating: [], count: accounts.count)

        let regionNames = ["us-south", "us-east", "eu-de", "eu-gb", "jp-tok", "au-syd", "ca-tor", "br-sao"]
        for r in regionNames {
            regions.append(Region(
                name: bytes(r), nameString: r,
                dbHost: bytes("api.\(r).databases.cloud.ibm.com"),
                vpcHost: bytes("\(r).iaas.cloud.ibm.com"),
                kmsHost: bytes("\(r).kms.cloud.ibm.com")))
        }

        let serviceDefs: [(String, String, String, Int)] = [
            ("databases-for-postgresql", "Databases for PostgreSQL", "pg", 14),
            ("databases-for-redis", "Databases for Redis", "redis", 8),
            ("databases-for-mongodb", "Databases for MongoDB", "mongo", 7),
            ("databases-for-elasticsearch", "Databases for Elasticsearch", "es", 6),
            ("messages-for-rabbitmq", "Messages for RabbitMQ", "rabbit", 5),
            ("databases-for-etcd", "Databases for etcd", "etcd", 4),
            ("databases-for-enterprisedb", "Databases for EnterpriseDB", "edb", 3),
            ("databases-for-cassandra", "Databases for Cassandra", "cass", 3),
        ]
        for (id, display, short, _) in serviceDefs {
            services.append(DBService(
                id: bytes(id), idString: id, display: bytes(display), short: short,
                projectId: bytes(uuidString(&rng))))
        }
        lbProjectId = bytes(uuidString(&rng))
        sgProjectId = bytes(uuidString(&rng))
        iamProjectId = bytes(uuidString(&rng))
        iamAMProjectId = bytes(uuidString(&rng))
        iamGroupsProjectId = bytes(uuidString(&rng))
        kmsProjectId = bytes(uuidString(&rng))

        browserAgents = [
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36 Edg/121.0.2277.128",
            "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3.1 Safari/605.1.15",
            "Not Set",
        ].map(JStr.init)
        cliAgents = [
            "IBM Cloud CLI", "ibmcloud/2.24.0 (darwin; arm64)", "ibmcloud/2.23.1 (linux; amd64)",
        ].map(JStr.init)
        automationAgents = [
            "Terraform/1.7.5 terraform-provider-ibm/1.63.0",
            "ibm-cloud-sdk-go/0.3.0 (go1.22.1; linux amd64)",
            "python-requests/2.31.0",
            "ibm-cloud-sdk-core/3.19.2 (lang=node.js; os.version=linux 5.15.0-101-generic)",
            "curl/8.5.0",
            "Go-http-client/2.0",
            "ibm-platform-services-sdk-java/0.50.1 (java.version=17.0.10; os.name=Linux)",
            "kube-controller-manager/v1.29.2 icd-operator/0.9.2",
        ].map(JStr.init)
        incidentUserNames = ["temp-admin", "debug_user", "tmp-ops-1", "support_x", "svc_backup_tmp", "jörg_tmp"].map(JStr.init)
        deniedReasons = [
            "user does not have the Operator role on this deployment",
            "action not permitted by the access policies of the initiator",
            "the initiator is not authorized to perform this action",
        ].map(JStr.init)

        buildIdentities(&rng)
        buildDeployments(&rng, serviceDefs: serviceDefs)
        buildLoadBalancers(&rng)
        buildSecurityGroups(&rng)
        buildKMS(&rng)
        buildAccessGroups(&rng)
    }

    private func accountFor(_ rng: inout Rand) -> Int {
        rng.weighted([50, 30, 20], total: 100)
    }

    private mutating func buildIdentities(_ rng: inout Rand) {
        let first = [
            "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj",
            "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "wendy", "xavier", "yolanda", "zach",
            "ana", "ben", "chen", "dmitri", "elif", "fatima", "george", "hana", "jonas", "kenji", "lena", "marco",
            "nina", "omar", "priya", "quinn", "raj", "sara", "tom", "uma", "vera", "wei", "yusuf",
            "josé", "zoë", "søren", "françois", "jürgen", "łukasz", "ayşe", "maría", "núria", "björn", "chloé",
            "renée", "andré", "inês", "tomáš", "đorđe", "josé", "zoë", "søren", "françois", "jürgen", "maría",
            "chloé", "andré", "inês", "björn", "mañuel", "gülşen", "kristýna", "mátyás", "zoé", "ingrid",
        ]
        let last = [
            "smith", "jones", "garcía", "müller", "kowalski", "nguyen", "tanaka", "rossi", "dubois", "silva",
            "novak", "larsen", "öztürk", "schmidt", "patel", "kim", "moreau", "ferreira", "sato", "lindqvist",
            "núñez", "jäger", "søndergård", "côté", "błaszczyk", "şahin", "hernández", "löwe",
        ]
        let domains = ["example.com", "example.org", "example.net"]
        var usedNames = Set<String>()
        let userCount = 72
        let serviceCount = 28
        let serviceNames = [
            "terraform-automation", "ci-deployer", "backup-operator", "grafana-exporter", "airflow-scheduler",
            "k8s-secrets-sync", "dbt-runner", "argo-cd", "vault-sync", "billing-etl", "log-shipper", "jenkins-ci",
            "compliance-scanner", "cost-reporter", "schema-migrator", "event-router", "données-pipeline",
        ]
        for i in 0..<(userCount + serviceCount) {
            let isService = i >= userCount
            let account = accountFor(&rng)
            var idString: String
            var name: String
            if isService {
                let u = uuidString(&rng)
                idString = "iam-ServiceId-\(u)"
                if rng.permille(500) {
                    var candidate = rng.pick(serviceNames)
                    if usedNames.contains(candidate) { candidate += "-\(rng.between(2, 9))" }
                    if usedNames.contains(candidate) { candidate = "ServiceId-\(u)" }
                    name = candidate
                } else {
                    name = "ServiceId-\(u)"
                }
            } else {
                var code = "IBMid-"
                let alphabet = Array("0123456789ABCDEFGHJKLMNPQRSTUVWXYZ")
                code += String((0..<3).map { _ in alphabet[rng.below(10)] })
                code += String((0..<7).map { _ in alphabet[rng.below(alphabet.count)] })
                idString = code
                repeat {
                    name = "\(rng.pick(first)).\(rng.pick(last))@\(rng.pick(domains))"
                } while usedNames.contains(name)
            }
            usedNames.insert(name)

            var addrs: [String] = []
            var v6: [Bool] = []
            let nAddr = rng.weighted([45, 40, 15], total: 100) + 1
            while addrs.count < nAddr {
                let r = rng.below(100)
                let (a, isV6): (String, Bool)
                if r < 20 {
                    a = "10.\(rng.below(256)).\(rng.below(256)).\(rng.between(2, 254))"
                    isV6 = false
                } else if r < 30 {
                    a = randomIPv6(&rng)
                    isV6 = true
                } else {
                    a = randomPublicIPv4(&rng, firstOctets: Pool.usualFirstOctets)
                    isV6 = false
                }
                if usualAddresses.contains(a) { continue }
                usualAddresses.insert(a)
                addrs.append(a)
                v6.append(isV6)
            }
            var agents: [JStr]
            if isService {
                let a = rng.pick(automationAgents)
                let b = rng.pick(automationAgents)
                agents = [a, b]
            } else {
                agents = [rng.pick(browserAgents), rng.pick(cliAgents)]
            }
            let index = identities.count
            identities.append(Identity(
                isService: isService, account: account, id: JStr(idString), idString: idString,
                name: JStr(name), nameString: name,
                addresses: addrs.map(bytes), addressStrings: addrs, v6: v6, agents: agents, keys: [],
                selfCRN: bytes("crn:v1:bluemix:public:iam-identity::a/\(accounts[account].idString)::\(isService ? "serviceid" : "user"):\(idString)")))
            identitiesByAccount[account].append(index)
            if isService { servicesByAccount[account].append(index) } else { usersByAccount[account].append(index) }
        }
        // Make sure every account has at least one user and one service ID.
        for a in 0..<accounts.count {
            precondition(!usersByAccount[a].isEmpty && !servicesByAccount[a].isEmpty, "pool: account without identities")
        }

        let keyNames = [
            "ci-deploy-key", "terraform-prod", "grafana-reader", "backup-bot", "k8s-operator", "nightly-etl",
            "airflow-dags", "jenkins-ci", "argo-cd", "vault-sync", "dbt-runner", "cost-export", "schema-migrations",
            "Schlüssel-prod", "clé-d'accès-ops", "deploy 🚀 key", "monitoring-🔑", "cli-laptop", "local-dev", "pager-bot",
        ]
        var usedKeyNames = Set<String>()
        for i in identities.indices {
            let nKeys = identities[i].isService ? rng.between(1, 2) : (rng.permille(450) ? 1 : 0)
            for _ in 0..<nKeys {
                let u = uuidString(&rng)
                let keyId = "ApiKey-\(u)"
                let acct = accounts[identities[i].account].idString
                var name = rng.pick(keyNames)
                var suffix = 2
                while usedKeyNames.contains(name) {
                    name = "\(rng.pick(keyNames))-\(suffix)"
                    suffix += 1
                }
                usedKeyNames.insert(name)
                let crn = "crn:v1:bluemix:public:iam-identity::a/\(acct)::apikey:\(keyId)"
                let k = keys.count
                keys.append(APIKey(
                    owner: i, account: identities[i].account, isService: identities[i].isService,
                    id: bytes(keyId), crn: bytes(crn), crnString: crn, name: JStr(name), nameString: name))
                identities[i].keys.append(k)
                if identities[i].isService { serviceKeys.append(k) } else { userKeys.append(k) }
            }
        }
    }

    private mutating func buildDeployments(_ rng: inout Rand, serviceDefs: [(String, String, String, Int)]) {
        let apps = [
            "orders", "billing", "catalog", "sessions", "search", "inventory", "payments", "analytics", "audit",
            "users", "ledger", "events", "metrics", "cart", "shipping",
            "bücher", "café-orders", "données", "straße-events", "señal", "smörgås",
        ]
        let envs = ["prod", "stg", "dev", "qa"]
        let userNames = ["app_rw", "app_ro", "reporting", "repl", "grafana", "etl_loader", "müller_ro", "analytics"]
        var used = Set<String>()
        for (s, def) in serviceDefs.enumerated() {
            for _ in 0..<def.3 {
                var name: String
                repeat {
                    name = "\(rng.pick(apps))-\(def.2)-\(rng.pick(envs))"
                    if used.contains(name) { name += "-0\(rng.between(2, 9))" }
                } while used.contains(name)
                used.insert(name)
                let account = accountFor(&rng)
                let region = rng.weighted([30, 15, 20, 12, 8, 6, 5, 4], total: 100)
                let uuid = uuidString(&rng)
                let crn = "crn:v1:bluemix:public:\(def.0):\(regions[region].nameString):a/\(accounts[account].idString):\(uuid)::"
                var users = [JStr("admin")]
                for u in userNames where rng.permille(300) { users.append(JStr(u)) }
                var allow: [[UInt8]] = []
                for _ in 0..<rng.between(1, 3) {
                    let ip = randomPublicIPv4(&rng, firstOctets: Pool.usualFirstOctets)
                    let parts = ip.split(separator: ".")
                    allow.append(bytes(rng.permille(500) ? "\(parts[0]).\(parts[1]).\(parts[2]).0/24" : "\(ip)/32"))
                }
                allow.append(bytes("10.\(rng.below(256)).0.0/16"))
                let index = deployments.count
                deployments.append(Deployment(
                    service: s, account: account, region: region, uuid: bytes(uuid), crn: bytes(crn),
                    crnString: crn, name: JStr(name), nameString: name,
                    backupHour: rng.below(24), backupMinute: rng.below(60), legacyNames: rng.permille(350),
                    dbUsers: users, allowlist: allow,
                    crnEncoded: bytes(crn.replacingColons())))
                deploymentsByAccount[account].append(index)
            }
        }
    }

    private mutating func buildLoadBalancers(_ rng: inout Rand) {
        let names = [
            "web-alb", "api-nlb", "internal-alb", "shop-frontend-lb", "grpc-nlb", "bücherei-lb", "edge-alb-eu",
            "partner-api-lb", "admin-portal-alb", "ingest-nlb",
        ]
        var used = Set<String>()
        for _ in 0..<20 {
            var name: String
            repeat { name = "\(rng.pick(names))-0\(rng.between(1, 4))" } while used.contains(name)
            used.insert(name)
            let account = accountFor(&rng)
            let region = rng.weighted([40, 15, 20, 10, 5, 5, 3, 2], total: 100)
            let id = "r006-\(uuidString(&rng))"
            let crn = "crn:v1:bluemix:public:is:\(regions[region].nameString):a/\(accounts[account].idString)::load-balancer:\(id)"
            var listeners: [[UInt8]] = []
            var ports: [Int] = []
            for _ in 0..<rng.between(1, 3) {
                listeners.append(bytes("r006-\(uuidString(&rng))"))
                ports.append(rng.pick([80, 443, 443, 8080, 8443, 5672]))
            }
            var pools: [[UInt8]] = []
            for _ in 0..<rng.between(1, 2) { pools.append(bytes("r006-\(uuidString(&rng))")) }
            loadBalancers.append(LoadBalancer(
                account: account, region: region, id: bytes(id), crn: bytes(crn), name: JStr(name),
                nameString: name, listeners: listeners, listenerPorts: ports, pools: pools))
        }
    }

    private mutating func buildSecurityGroups(_ rng: inout Rand) {
        let names = [
            "sg-web-prod", "sg-db-access", "sg-bastion", "sg-k8s-workers", "sg-lb-public", "sg-mgmt", "sg-vpn",
            "sg-café-pos", "sg-monitoring", "sg-batch", "sg-partner", "sg-default-ü",
        ]
        for name in names {
            let account = accountFor(&rng)
            let region = rng.weighted([40, 15, 20, 10, 5, 5, 3, 2], total: 100)
            let id = "r006-\(uuidString(&rng))"
            let crn = "crn:v1:bluemix:public:is:\(regions[region].nameString):a/\(accounts[account].idString)::security-group:\(id)"
            securityGroups.append(SecurityGroup(account: account, region: region, id: bytes(id), crn: bytes(crn), name: JStr(name)))
        }
    }

    private mutating func buildKMS(_ rng: inout Rand) {
        let keyNames = [
            "root-key-prod", "root-key-staging", "payments-dek", "données-clé", "backup-kek", "🔑 tenant-master",
            "pg-volume-key", "cos-bucket-key", "audit-log-key", "mongo-kek", "redis-kek", "schlüssel-archiv",
        ]
        for a in 0..<accounts.count {
            for _ in 0..<(a == 0 ? 2 : 1) {
                let region = rng.weighted([40, 15, 20, 10, 5, 5, 3, 2], total: 100)
                let uuid = uuidString(&rng)
                let crn = "crn:v1:bluemix:public:kms:\(regions[region].nameString):a/\(accounts[a].idString):\(uuid)::"
                var ks: [KMSKey] = []
                var names = keyNames
                rng.shuffle(&names)
                for n in names.prefix(rng.between(6, 10)) {
                    let kid = uuidString(&rng)
                    let kcrn = "crn:v1:bluemix:public:kms:\(regions[region].nameString):a/\(accounts[a].idString):\(uuid):key:\(kid)"
                    ks.append(KMSKey(id: bytes(kid), name: JStr(n), crn: bytes(kcrn)))
                }
                kmsInstances.append(KMSInstance(account: a, region: region, uuid: bytes(uuid), crn: bytes(crn), keys: ks))
            }
        }
    }

    private mutating func buildAccessGroups(_ rng: inout Rand) {
        let names = [
            "db-admins", "sre-oncall", "Équipe-Données", "auditors", "developers", "finance-readers",
            "platform-ops", "security-team", "vpc-network-admins", "kms-key-custodians",
        ]
        for n in names {
            let account = accountFor(&rng)
            let id = "AccessGroupId-\(uuidString(&rng))"
            accessGroups.append(AccessGroup(
                account: account, id: bytes(id), name: JStr(n),
                crn: bytes("crn:v1:bluemix:public:iam-groups::a/\(accounts[account].idString)::group:\(id)")))
        }
    }

    static let usualFirstOctets = [23, 34, 52, 80, 84, 91, 104, 129, 146, 158, 161, 165, 169, 198, 212, 217]
    static let foreignFirstOctets = [5, 31, 37, 41, 45, 46, 62, 77, 89, 93, 103, 109, 176, 179, 185, 193, 194, 195]

    /// An address outside every identity's usual set (for attackers and new-source logins).
    mutating func newForeignAddress(_ rng: inout Rand, v6: Bool = false) -> String {
        while true {
            let a = v6 ? randomIPv6(&rng) : randomPublicIPv4(&rng, firstOctets: Pool.foreignFirstOctets)
            if !usualAddresses.contains(a) {
                usualAddresses.insert(a)  // never reuse it for another incident either
                return a
            }
        }
    }
}

func randomPublicIPv4(_ rng: inout Rand, firstOctets: [Int]) -> String {
    let a = rng.pick(firstOctets)
    var b = rng.below(256)
    if a == 169 && b == 254 { b = 253 }
    return "\(a).\(b).\(rng.below(256)).\(rng.between(1, 254))"
}

func randomIPv6(_ rng: inout Rand) -> String {
    let prefixes = ["2a02", "2600", "2604", "2a01", "2001", "2a03", "2406", "2c0f"]
    var groups = [rng.pick(prefixes)]
    for i in 0..<7 {
        let g = i < 2 ? rng.below(0x10000) : (rng.permille(200) ? 0 : rng.below(0x10000))
        groups.append(String(g, radix: 16))
    }
    return groups.joined(separator: ":")
}

extension String {
    /// URL-encodes the characters a CRN contains (`:` and `/`).
    fileprivate func replacingColons() -> String {
        var out = ""
        for c in self {
            switch c {
            case ":": out += "%3A"
            case "/": out += "%2F"
            default: out.append(c)
            }
        }
        return out
    }
}
