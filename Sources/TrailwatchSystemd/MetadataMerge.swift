import Logging

/// The metadata of one log message: the handler's, then the provider's, then the call's (later wins),
/// plus the event's error under `error` unless the call named one. Both handlers use it, so a message
/// carries the same keys in the journal and on stderr.
enum MetadataMerge {
    static func merge(handler: Logger.Metadata, provider: Logger.MetadataProvider?, event: LogEvent) -> Logger.Metadata {
        var merged = handler
        if let provided = provider?.get() { merged.merge(provided) { _, new in new } }
        if let call = event.metadata { merged.merge(call) { _, new in new } }
        if let error = event.error, merged["error"] == nil { merged["error"] = "\(error)" }
        return merged
    }
}
