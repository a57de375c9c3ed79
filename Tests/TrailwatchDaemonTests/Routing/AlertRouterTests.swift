import Testing
import TrailwatchCore
@testable import TrailwatchDaemon

struct AlertRouterTests {
    func alert(_ rule: String, _ severity: Severity, labels: [String: String] = [:]) -> Alert {
        Alert(id: "x", rule: rule, severity: severity, time: 0, group: [], count: 1, events: [], summary: "",
              labels: labels.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) }, suppressed: 0)
    }

    let router = AlertRouter(
        routes: [
            RouteConfiguration(sinks: ["pager"], severities: [.critical]),
            RouteConfiguration(sinks: ["db-team"], rules: ["cdb-*"], continue: true),
            RouteConfiguration(sinks: ["chat"], rules: ["cdb-?ackup*", "iam-*"], labels: ["team": "security"]),
        ],
        defaultSinks: ["archive"],
        ruleSinks: ["special": ["hook"]])

    @Test func firstMatchingRouteDecides() {
        #expect(router.sinks(for: alert("cdb-deny", .critical)) == ["pager"])
    }

    @Test func continueGoesOnToLaterRoutes() {
        #expect(router.sinks(for: alert("cdb-backup-failed", .high, labels: ["team": "security"])) == ["db-team", "chat"])
        #expect(router.sinks(for: alert("cdb-backup-failed", .high, labels: ["team": "ops"])) == ["db-team"])
    }

    @Test func nothingMatchedGoesToTheDefault() {
        #expect(router.sinks(for: alert("vpc-lb-change", .low)) == ["archive"])
        #expect(router.sinks(for: alert("iam-login", .low)) == ["archive"], "label missing")
    }

    @Test func aRulesOwnSinksOverrideRoutes() {
        #expect(router.sinks(for: alert("special", .critical)) == ["hook"])
    }

    @Test(arguments: [
        ("cdb-*", "cdb-", true), ("cdb-*", "cdb-x-y", true), ("cdb-*", "cd", false), ("*-deny", "a-deny", true),
        ("a?c", "abc", true), ("a?c", "ac", false), ("*", "", true), ("a*b*c", "axxbyyc", true), ("a*b*c", "axxbyy", false),
    ])
    func globs(pattern: String, text: String, matches: Bool) {
        #expect(Glob(pattern).matches(text) == matches)
    }
}
