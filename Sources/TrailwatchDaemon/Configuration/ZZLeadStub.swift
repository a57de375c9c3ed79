// TEMPORARY lead stub until the configuration loader lands.
import Foundation
import TrailwatchCore
public enum ConfigurationLoader {
    public static func load(file: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(Diagnostics) -> DaemonConfiguration { throw Diagnostics([]) }
}
