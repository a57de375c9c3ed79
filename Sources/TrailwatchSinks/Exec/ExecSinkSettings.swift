import Foundation
import TrailwatchConfiguration
import TrailwatchCore

/// ```json
/// {"type": "exec", "command": ["/usr/local/bin/notify-ops", "--channel", "security"],
///  "timeout": "30s", "env": {"OPS_ENDPOINT": "https://ops.example.org"}}
/// ```
///
/// `command` is the program and its arguments, run without a shell; the program is an absolute path or one
/// relative to the configuration file's directory (no `$PATH` search: what runs does not depend on the
/// daemon's environment). `env` adds variables to those the program inherits.
public struct ExecSinkSettings: SinkSettings {
    public static let type = "exec"
    public static let members: Set<String> = ["command", "timeout", "env"]

    public var command: [String]
    public var timeoutMilliseconds: Int64
    public var environment: [String: String]

    public static let defaultTimeout: Int64 = 30_000

    public init(command: [String], timeoutMilliseconds: Int64 = defaultTimeout, environment: [String: String] = [:]) {
        self.command = command
        self.timeoutMilliseconds = timeoutMilliseconds
        self.environment = environment
    }

    public init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
        let before = decoder.diagnostics.count
        var command: [String] = []
        if let node = decoder.required(block, "command", "the program and its arguments, like [\"/usr/local/bin/notify\", \"--urgent\"]") {
            let path = block.path["command"]
            if let items = node.items {
                if items.isEmpty { decoder.report(node.location, path, "must not be empty: give at least the program") }
                for (i, item) in items.enumerated() {
                    if i == 0 {
                        guard let program = decoder.decodePath(item, at: path[0], file: true) else { continue }
                        if !FileManager.default.isExecutableFile(atPath: program) {
                            decoder.report(item.location, path[0], "\(program) is not an executable file")
                        }
                        command.append(program)
                    } else if let argument = decoder.decodeString(item, at: path[i]) {
                        if argument.utf8.contains(0) {
                            decoder.report(item.location, path[i], "an argument cannot contain a NUL character")
                        }
                        command.append(argument)
                    }
                }
            } else {
                decoder.report(node.location, path, "expected an array: the program and its arguments (no shell is involved, so a command line in one string would not work), got \(node.typeName)")
            }
        }
        var timeout = Self.defaultTimeout
        if let node = block["timeout"], let ms = decoder.decodeDuration(node, at: block.path["timeout"], maximum: 3_600_000) {
            if ms < 1 { decoder.report(node.location, block.path["timeout"], "must be longer than 0") }
            timeout = ms
        }
        var environment: [String: String] = [:]
        if let node = block["env"], let object = decoder.object(node, at: block.path["env"], what: "environment variables") {
            for member in object.members {
                let path = object.path[member.key]
                let nameOK = !member.key.isEmpty && !member.key.first!.isNumber && member.key.utf8.allSatisfy {
                    ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "_")
                }
                if !nameOK {
                    decoder.report(member.keyLocation, path, "not a valid environment variable name: use letters, digits and '_', not starting with a digit")
                }
                guard let value = decoder.decodeString(member.value, at: path) else { continue }
                if value.utf8.contains(0) { decoder.report(member.value.location, path, "cannot contain a NUL character") }
                environment[member.key] = value
            }
        }
        guard decoder.diagnostics.count == before else { return nil }
        self.init(command: command, timeoutMilliseconds: timeout, environment: environment)
    }

    public func makeSink(name: String, context: SinkContext) throws -> any AlertSink {
        ExecSink(name: name, settings: self, environment: context.environment)
    }
}
