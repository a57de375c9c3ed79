import Foundation

/// Rules of all six kinds and 400 events that make each of them fire, for tests that stop a run
/// somewhere, save, restore and compare with one uninterrupted run.
public enum MixedKindsFixture {
    public static let rules = """
    {"rules": [
      {"id": "every", "severity": "low", "suppress": "5m", "group_by": ["target"], "match": {"field": "action", "suffix": ".delete"}},
      {"id": "thr", "severity": "low", "kind": "threshold", "window": "30m", "count": 3, "group_by": ["target"], "match": {"field": "outcome", "equals": "failure"}},
      {"id": "dist", "severity": "low", "kind": "distinct", "window": "30m", "count": 3, "field": "target", "match": {"field": "outcome", "equals": "failure"}},
      {"id": "seq", "severity": "low", "kind": "sequence", "window": "20m", "group_by": ["target"], "steps": [{"field": "action", "equals": "u.create"}, {"field": "action", "equals": "u.delete"}]},
      {"id": "abs", "severity": "low", "kind": "absence", "window": "15m", "group_by": ["target"], "match": {"field": "action", "equals": "backup"}},
      {"id": "new", "severity": "low", "kind": "new-value", "field": "ip", "learn": "10m", "group_by": ["target"], "match": {"all": []}}
    ]}
    """

    /// The rule ids, one per kind.
    public static let ruleIDs: Set<String> = ["every", "thr", "dist", "seq", "abs", "new"]

    public static func events() -> [String] {
        let actions = ["u.create", "u.delete", "backup", "x.update"]
        return (0..<400).map { i in
            let t = i * 37
            let time = String(format: "2026-03-01T%02d:%02d:%02dZ", 10 + t / 3600, t / 60 % 60, t % 60)
            let outcome = i % 3 == 0 ? "failure" : "success"
            let action = (200..<300).contains(i) && actions[i * 7 % 4] == "backup" ? "x.update" : actions[i * 7 % 4]
            return #"{"id": "e\#(i)", "eventTime": "\#(time)", "action": "\#(action)", "outcome": "\#(outcome)", "target": "t\#(i % 5)", "ip": "10.0.0.\#(i * 13 % 11)"}"#
        }
    }
}
