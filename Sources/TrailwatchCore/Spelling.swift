/// "Did you mean …?" for misspelt names in files people write (rules, configuration).
public enum Spelling {
    /// The member of `known` nearest to `name` if it is within `maximumDistance` edits (and not a total
    /// rewrite of a short name); ties go to the alphabetically first.
    public static func closest(to name: String, in known: some Collection<String>, maximumDistance: Int,
                               ignoringCase: Bool = false) -> String? {
        let key = ignoringCase ? name.lowercased() : name
        let best = known.map { ($0, editDistance(key, ignoringCase ? $0.lowercased() : $0)) }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        guard let (candidate, distance) = best, distance <= maximumDistance, distance < name.count else { return nil }
        return candidate
    }

    /// Levenshtein distance over UTF-8 bytes.
    public static func editDistance(_ a: String, _ b: String) -> Int {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard !x.isEmpty, !y.isEmpty else { return max(x.count, y.count) }
        var previous = Array(0...y.count)
        for i in 1...x.count {
            var current = [i] + Array(repeating: 0, count: y.count)
            for j in 1...y.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[y.count]
    }
}
