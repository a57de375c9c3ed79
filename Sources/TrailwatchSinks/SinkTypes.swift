/// Every sink type the configuration accepts: one line per sink.
public enum SinkTypes {
    public static let all: [any SinkSettings.Type] = [
        FileSinkSettings.self,
        StdoutSinkSettings.self,
        AlertmanagerSinkSettings.self,
        EmailSinkSettings.self,
        ExecSinkSettings.self,
        JournalSinkSettings.self,
        WebhookSinkSettings.self,
        SlackSinkSettings.self,
        PagerDutySinkSettings.self,
    ]
}
