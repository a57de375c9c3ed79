// One event before it is written: templates fill a Draft, `render` writes it as one JSON line.

enum Outcome: UInt8 {
    case success, failure, pending
}

enum Severity: UInt8 {
    case auto, normal, warning, critical
}

/// What kind of verb drives the default severity (read/create → normal, update → warning, delete → critical).
enum VerbClass: UInt8 {
    case routine, change, removal
}

struct Draft {
    var logSourceCRN: [UInt8] = []
    var spName: [UInt8] = []
    var spProject: [UInt8] = []
    var spRegion: [UInt8] = []
    var account: [UInt8] = []

    var svc: [UInt8] = []
    var object: StaticString = ""
    var verb: StaticString = ""
    var display: [UInt8] = []
    var verbClass = VerbClass.routine
    var dataEvent = false

    var credType: StaticString = ""
    var address: [UInt8] = []
    var addressV6 = false
    var agent: JStr? = nil
    var initId = Lit.emptyJ
    var initName = Lit.emptyJ
    var initProject = false
    var initTypeURI: StaticString = ""

    var msgName = Lit.emptyJ
    var msgExtra: JStr? = nil
    var msgSeedStyle = false

    var outcome = Outcome.success
    var reasonCode = 200
    var reasonType: StaticString = "OK"
    var reasonIANA = false
    var reasonForFailure: JStr? = nil
    var stringCode = false

    /// The inner requestData object is open in the generator's `inner` buffer.
    var request = false
    var requestRequired = false
    var requestPath = false
    var response = false

    var severity = Severity.auto
    var targetHost: [UInt8]? = nil
    var targetId: [UInt8] = []
    var targetName = Lit.emptyJ
    var targetTypeURIIsPath = false
}

/// Constant byte strings used by several templates.
enum Lit {
    static let emptyJ = JStr("")
    static let ibm = JStr("IBM")
    static let star = JStr("*")
    static let isLoadBalancer = bytes("is.load-balancer")
    static let isLoadBalancerProvider = bytes("is-load-balancer")
    static let lbDisplay = bytes("Load Balancer for VPC")
    static let isSecurityGroup = bytes("is.security-group")
    static let isSecurityGroupProvider = bytes("is-security-group")
    static let sgDisplay = bytes("Security Groups for VPC")
    static let iamIdentity = bytes("iam-identity")
    static let iamDisplay = bytes("IAM Identity Service")
    static let iamAM = bytes("iam-am")
    static let iamAMDisplay = bytes("IAM Access Management")
    static let iamGroups = bytes("iam-groups")
    static let iamGroupsDisplay = bytes("IAM Access Groups")
    static let kms = bytes("kms")
    static let kmsDisplay = bytes("Key Protect")
    static let global = bytes("global")
    static let iamHost = bytes("iam.cloud.ibm.com")
    static let worldCIDR = bytes("0.0.0.0/0")
    static let transientKeyNames = ["tmp-cli-key", "laptop-key", "test-key", "migration-key", "spike-key-ñ"].map(JStr.init)
    static let newDBUserNames = ["reporting_2", "app_rw_v2", "readonly_bi", "etl_loader_v2", "grafana_ro"].map(bytes)
    static let pwFailureReasons = [
        "password does not meet the complexity requirements",
        "another task is already running on this deployment",
    ].map(JStr.init)
    static let backupFailureReasons = [
        "backup job did not complete: storage quota exceeded",
        "backup job timed out after 6h",
        "backup job failed: WAL archive incomplete",
    ].map(JStr.init)
    static let restoreFailureReasons = [
        "restore failed: source backup is incompatible with the target version",
        "restore failed: insufficient disk on target deployment",
    ].map(JStr.init)
    static let scaleFailureReasons = [
        "requested memory exceeds the maximum for this plan",
        "scaling failed: insufficient capacity in the selected zone",
        "autoscale resources for instance failed: disk cannot shrink",
    ].map(JStr.init)
    static let lbFailureReasons = [
        "load balancer is in update_pending state",
        "listener port 443 is already in use",
        "the pool member target is not in the load balancer's VPC",
    ].map(JStr.init)
    static let loginFailureReasons = [
        "API key is locked or invalid",
        "Provided API key could not be found.",
    ].map(JStr.init)
    /// Inner requestData strings that need escaping twice once stringified, and a few non-ASCII ones.
    static let notes = [
        "rotated by \"nightly\" job",
        "C:\\ops\\scripts\\rotate.ps1",
        "^pg-[a-z]+-\\d{2}$",
        "line one\nline two",
        "tab\tseparated\tvalues",
        "déploiement validé ✅",
        "ok 👍",
        "ticket CHG-20417: \"approved\" by Zoë",
    ].map(JStr.init)
}
