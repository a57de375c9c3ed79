import Foundation
import Testing
import TrailwatchCore
import TrailwatchConfiguration
import TrailwatchDaemon

/// Secrets through the API sinks will use: a block type with its own settings struct and a `token`.
struct SecretTests {
    /// A sink-like block that takes a required `token` and an optional `password`.
    struct TokenBlock: ConfigurationBlock {
        static let members = ConfigDecoder.secretMembers("token").union(ConfigDecoder.secretMembers("password"))
        var token: SecretReference
        var password: SecretReference?

        init?(from block: ConfigObject, decoder: inout ConfigDecoder) {
            let before = decoder.diagnostics.count
            let token = decoder.decodeSecret(in: block, named: "token")
            password = decoder.decodeSecret(in: block, named: "password", required: false)
            guard let token, decoder.diagnostics.count == before else { return nil }
            self.token = token
        }
    }

    /// Decodes `json` as a `TokenBlock` the way the loader decodes a sink block (unknown members first).
    func decode(_ json: String, in f: ConfigFixture, environment: [String: String] = [:]) throws -> (TokenBlock?, [String]) {
        let file = try f.write(json, to: "block.json")
        let node = try JSONDocumentParser.parse(Array(json.utf8), file: file)
        var decoder = ConfigDecoder(file: file, baseDirectory: f.dir, environment: environment)
        let path = MemberPath.root["sinks"][0]
        guard let object = decoder.object(node, at: path, what: "a sink object") else { return (nil, []) }
        decoder.rejectUnknownMembers(of: object, known: TokenBlock.members.union(["name", "type"]), what: #"a "test" sink"#)
        let block = BlockType<TokenBlock>(TokenBlock.self) { $0 }.decode(&decoder, object)
        return (block, decoder.diagnostics.map { f.stripDirectory($0.description) })
    }

    @Test func secretFileRelativeToTheConfiguration() throws {
        let f = try ConfigFixture()
        try f.write("s3cr3t\n\n", to: "secrets/token")
        let (block, errors) = try decode(#"{"token_file": "secrets/token"}"#, in: f)
        #expect(errors == [])
        #expect(block?.token == .file(f.path("secrets/token")))
        #expect(block?.password == nil)
        #expect(try block?.token.resolve(environment: [:]) == Array("s3cr3t".utf8))
    }

    @Test func credentialFromTheCredentialsDirectory() throws {
        let f = try ConfigFixture()
        try f.write("hunter2\r\n", to: "credentials/slack-token")
        let environment = ["CREDENTIALS_DIRECTORY": f.path("credentials")]
        let (block, errors) = try decode(#"{"token_credential": "slack-token", "password_file": "pw"}"#, in: f,
                                         environment: environment)
        #expect(errors == [#"block.json:1:54: sinks[0].password_file: cannot read secret file \#(f.path("pw")): No such file or directory"#])
        #expect(block == nil)
        let (ok, none) = try decode(#"{"token_credential": "slack-token"}"#, in: f, environment: environment)
        #expect(none == [])
        #expect(ok?.token == .credential("slack-token"))
        #expect(try ok?.token.resolve(environment: environment) == Array("hunter2".utf8))
    }

    @Test func inlineSecretsAreRejected() throws {
        let f = try ConfigFixture()
        try f.write("x", to: "t")
        let (block, errors) = try decode(#"{"token": "abc123", "password": "pw", "token_file": "t"}"#, in: f)
        #expect(block == nil)
        #expect(errors == [
            #"block.json:1:2: sinks[0].token: secrets are never written inline: use "token_file" or "token_credential""#,
            #"block.json:1:21: sinks[0].password: secrets are never written inline: use "password_file" or "password_credential""#,
        ])
        #expect(!errors.joined().contains("abc123"), "an error never repeats a secret")
    }

    @Test func missingOrAmbiguousSecrets() throws {
        let f = try ConfigFixture()
        try f.write("", to: "empty")
        try f.write("x", to: "t")
        let cases: [(String, [String: String], String)] = [
            (#"{"name": "x"}"#, [:],
             #"block.json:1:1: sinks[0].token: required: use "token_file" or "token_credential" (a file holding the secret, or a systemd credential name)"#),
            (#"{"token_file": "nope"}"#, [:],
             #"block.json:1:16: sinks[0].token_file: cannot read secret file \#(f.path("nope")): No such file or directory"#),
            (#"{"token_file": "."}"#, [:],
             #"block.json:1:16: sinks[0].token_file: cannot read secret file \#(f.dir): Is a directory"#),
            (#"{"token_file": "empty"}"#, [:],
             #"block.json:1:16: sinks[0].token_file: secret file \#(f.path("empty")) is empty"#),
            (#"{"token_file": "t", "token_credential": "c"}"#, [:],
             #"block.json:1:21: sinks[0].token_credential: give only one of "token_file" and "token_credential""#),
            (#"{"token_credential": "c"}"#, [:],
             #"block.json:1:22: sinks[0].token_credential: credential "c" cannot be read: $CREDENTIALS_DIRECTORY is not set (systemd sets it for a service with LoadCredential=c:FILE; to check by hand, set it to the directory holding the credential)"#),
            (#"{"token_credential": "c"}"#, ["CREDENTIALS_DIRECTORY": f.dir],
             #"block.json:1:22: sinks[0].token_credential: cannot read credential "c" (\#(f.path("c"))): No such file or directory"#),
            (#"{"token_credential": "../t"}"#, ["CREDENTIALS_DIRECTORY": f.dir],
             #"block.json:1:22: sinks[0].token_credential: "../t" is not a valid credential name: use letters, digits, '_', '.' and '-'"#),
            (#"{"tokn_file": "t"}"#, [:],
             #"block.json:1:2: sinks[0].tokn_file: unknown member of a "test" sink (did you mean "token_file"?)"#),
        ]
        for (json, environment, expected) in cases {
            let (block, errors) = try decode(json, in: f, environment: environment)
            #expect(block == nil, "\(json)")
            #expect(errors.first == expected, "\(json)")
        }
    }

    @Test func resolveNamesTheFileNeverTheSecret() throws {
        let f = try ConfigFixture()
        try f.write("top-secret\n", to: "t")
        let reference = SecretReference.file(f.path("t"))
        #expect(reference.description == "secret file \(f.path("t"))")
        try FileManager.default.removeItem(atPath: f.path("t"))
        #expect(throws: SecretError.self) { try reference.resolve(environment: [:]) }
        do {
            _ = try reference.resolve(environment: [:])
        } catch {
            #expect(error.message == "cannot read secret file \(f.path("t")): No such file or directory")
        }
    }
}

extension SecretTests.TokenBlock: Equatable {}
