import Foundation
import TrailwatchCore

/// Loads rule files and directories (rules.md §2): all or nothing, with every problem located.
public enum RuleLoader {
    /// The rule files a path names: the file itself, or every `*.json` below a directory except
    /// `*.test.json`, in byte order of their relative path.
    public static func ruleFiles(in path: String) throws(Diagnostic) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw Diagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot read rules: no such file or directory")
        }
        guard isDirectory.boolValue else { return [path] }
        return filesBelow(path) { $0.hasSuffix(".json") && !$0.hasSuffix(".test.json") }
    }

    /// Every regular file below `directory` whose name passes `include`, sorted by relative path bytes.
    /// A `directory` that is itself a symbolic link is followed (a common layout: `rules -> rules.d/v42`).
    public static func filesBelow(_ directory: String, include: (String) -> Bool) -> [String] {
        let resolved = (directory as NSString).resolvingSymlinksInPath
        guard let enumerator = FileManager.default.enumerator(atPath: resolved) else { return [] }
        var relative: [String] = []
        while let item = enumerator.nextObject() as? String {
            let full = (resolved as NSString).appendingPathComponent(item)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: full, isDirectory: &isDir), !isDir.boolValue,
               include((item as NSString).lastPathComponent) {
                relative.append(item)
            }
        }
        relative.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let prefix = directory.hasSuffix("/") ? directory : directory + "/"
        return relative.map { prefix + $0 }
    }

    /// Loads every rule under `paths`; throws every problem found when any rule is invalid.
    public static func load(paths: [String]) throws(Diagnostics) -> [RuleDefinition] {
        var diagnostics: [Diagnostic] = []
        var files: [String] = []
        for path in paths {
            do { files += try ruleFiles(in: path) } catch { diagnostics.append(error) }
        }
        var rules: [RuleDefinition] = []
        for file in files {
            guard let data = FileManager.default.contents(atPath: file) else {
                diagnostics.append(Diagnostic(SourceLocation(file: file, line: 1, column: 1), "cannot read rule file"))
                continue
            }
            do {
                let node = try JSONDocumentParser.parse([UInt8](data), file: file)
                let (loaded, problems) = decodeFile(node)
                rules += loaded
                diagnostics += problems.sorted { $0.location < $1.location }
            } catch {
                diagnostics.append(error)
            }
        }
        diagnostics += duplicateIDs(rules)
        if !diagnostics.isEmpty { throw Diagnostics(diagnostics) }
        return rules
    }

    /// Decodes a parsed rule file: one rule object, or `{"rules": [...]}`.
    public static func decodeFile(_ node: JSONNode) -> ([RuleDefinition], [Diagnostic]) {
        var decoder = RuleDecoder()
        var rules: [RuleDefinition] = []
        if let members = node.members, let list = members.first(where: { $0.key == "rules" }) {
            for other in members where other.key != "rules" {
                decoder.report(other.keyLocation, "\"\(other.key)\": unknown member of a rule file (it holds \"rules\" only)")
            }
            if let items = list.value.items {
                for item in items { if let rule = decoder.decode(item) { rules.append(rule) } }
            } else {
                decoder.report(list.value.location, "\"rules\": expected an array of rule objects, got \(list.value.typeName)")
            }
        } else if let rule = decoder.decode(node) {
            rules.append(rule)
        }
        return (rules, decoder.diagnostics)
    }

    static func duplicateIDs(_ rules: [RuleDefinition]) -> [Diagnostic] {
        var first: [String: SourceLocation] = [:]
        var problems: [Diagnostic] = []
        for rule in rules {
            if let earlier = first[rule.id] {
                problems.append(Diagnostic(rule.idLocation, "\"id\": duplicate rule id \"\(rule.id)\" (first defined at \(earlier))"))
            } else {
                first[rule.id] = rule.idLocation
            }
        }
        return problems
    }
}
