import Foundation
import Testing

/// The Debian package from packaging/build-deb: what it holds, its control data, its Depends against the
/// libraries the binary really loads, and that its default configuration is valid with its own rule pack.
///
/// Built from the debug binary under test (no release build: that is minutes on 2 cores) with fast gzip
/// compression, so the whole test takes a few seconds. One build, checked section by section.
struct PackagingTests {
    /// dpkg-deb and dpkg (Debian, as CI), objdump and ldd (binutils and libc-bin: the Swift toolchain needs them).
    static let toolsPresent = ["/usr/bin/dpkg-deb", "/usr/bin/dpkg", "/usr/bin/objdump", "/usr/bin/ldd"]
        .allSatisfy { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: toolsPresent, "needs dpkg-deb, dpkg, objdump and ldd (Debian)"), .timeLimit(.minutes(5)))
    func debianPackage() async throws {
        let scratch = try CLI.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let build = try await CLI.runAsync("/usr/bin/env", [
            "DPKG_DEB_COMPRESSOR_TYPE=gzip", "DPKG_DEB_COMPRESSOR_LEVEL=1",
            CLI.packageRoot.appendingPathComponent("packaging/build-deb").path, CLI.binary, scratch.path,
        ])
        try #require(build.status == 0, "packaging/build-deb failed:\n\(build.stdout)\(build.stderr)")
        let deb = build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try #require(deb.hasSuffix(".deb") && FileManager.default.fileExists(atPath: deb),
                     "build-deb should print the .deb it wrote, printed: \(build.stdout)")
        let root = scratch.appendingPathComponent("root")
        let control = scratch.appendingPathComponent("control")
        try #require(try await CLI.runAsync("/usr/bin/dpkg-deb", ["-x", deb, root.path]).status == 0)
        try #require(try await CLI.runAsync("/usr/bin/dpkg-deb", ["-e", deb, control.path]).status == 0)

        try await contents(deb: deb, root: root)
        try await controlData(deb: deb, control: control)
        try await dependsMatchNeededLibraries(deb: deb, binary: root.appendingPathComponent("usr/bin/trailwatch").path)
        try await packagedConfigurationIsValid(root: root)
    }

    // MARK: Sections

    /// Every file in place, owned by root, with the right modes, and byte for byte what the repository holds.
    func contents(deb: String, root: URL) async throws {
        let listing = try await CLI.runAsync("/usr/bin/dpkg-deb", ["--contents", deb])
        try #require(listing.status == 0, "\(listing.stderr)")
        // "-rw-r--r-- root/root  514 2026-11-21 13:31 ./etc/trailwatch/trailwatch.json"
        var entries: [String: (mode: String, owner: String)] = [:]
        for line in listing.stdout.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count >= 6 else { continue }
            let path = fields[5...].joined(separator: " ").split(separator: " -> ").first.map(String.init) ?? ""
            entries[String(path.dropFirst())] = (String(fields[0]), String(fields[1]))   // "./etc" -> "/etc"
        }
        for (path, entry) in entries {
            #expect(entry.owner == "root/root", "\(path) is owned by \(entry.owner)")
        }
        #expect(entries["/"]?.mode == "drwxr-xr-x", "the package's root directory: \(entries["/"]?.mode ?? "absent")")

        let repository = CLI.packageRoot
        let rules = try FileManager.default.contentsOfDirectory(atPath: repository.appendingPathComponent("rules").path)
            .filter { $0.hasSuffix(".json") }.sorted()
        #expect(rules.count >= 6, "rules/*.json: \(rules)")
        var expected: [(packaged: String, source: URL, mode: String)] = [
            ("/usr/bin/trailwatch", URL(fileURLWithPath: CLI.binary), "-rwxr-xr-x"),
            ("/lib/systemd/system/trailwatch.service", repository.appendingPathComponent("packaging/trailwatch.service"), "-rw-r--r--"),
            ("/etc/trailwatch/trailwatch.json", repository.appendingPathComponent("packaging/trailwatch.json"), "-rw-r--r--"),
            ("/usr/share/trailwatch/samples/activity-tracker.jsonl",
             repository.appendingPathComponent("samples/activity-tracker.jsonl"), "-rw-r--r--"),
            ("/usr/share/doc/trailwatch/README.md", repository.appendingPathComponent("README.md"), "-rw-r--r--"),
        ]
        for rule in rules {
            expected.append(("/usr/share/trailwatch/rules/\(rule)", repository.appendingPathComponent("rules/\(rule)"), "-rw-r--r--"))
        }
        for file in expected {
            guard let entry = entries[file.packaged] else {
                Issue.record("the package lacks \(file.packaged)")
                continue
            }
            #expect(entry.mode == file.mode, "\(file.packaged) has mode \(entry.mode)")
            let packaged = FileManager.default.contents(atPath: root.path + file.packaged)
            #expect(packaged != nil && packaged == FileManager.default.contents(atPath: file.source.path),
                    "\(file.packaged) differs from \(file.source.path)")
        }

        // The unit starts the packaged binary on the packaged configuration.
        let unit = String(decoding: FileManager.default.contents(atPath: root.path + "/lib/systemd/system/trailwatch.service") ?? Data(),
                          as: UTF8.self)
        #expect(unit.contains("\nExecStart=/usr/bin/trailwatch run --config /etc/trailwatch/trailwatch.json\n"),
                "the packaged unit's ExecStart")
    }

    /// Package, version, architecture, the conffile, and maintainer scripts that parse.
    func controlData(deb: String, control: URL) async throws {
        let fields = try await CLI.runAsync("/usr/bin/dpkg-deb", ["--field", deb, "Package", "Version", "Architecture", "Section"])
        #expect(fields.status == 0, "\(fields.stderr)")
        let version = try await CLI.runAsync("/usr/bin/env", [CLI.binary, "--version"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines).replacingOccurrences(of: "trailwatch ", with: "")
        let architecture = try await CLI.runAsync("/usr/bin/dpkg", ["--print-architecture"]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(Self.field("Package", in: fields.stdout) == "trailwatch")
        #expect(Self.field("Version", in: fields.stdout) == version, "Version vs `trailwatch --version` (\(version))")
        #expect(Self.field("Architecture", in: fields.stdout) == architecture)
        #expect(Self.field("Section", in: fields.stdout) == "admin")

        let conffiles = try await CLI.runAsync("/usr/bin/dpkg-deb", ["--info", deb, "conffiles"])
        #expect(conffiles.status == 0 && conffiles.stdout == "/etc/trailwatch/trailwatch.json\n",
                "conffiles: \(conffiles.stdout)\(conffiles.stderr)")
        for script in ["postinst", "prerm"] {
            let path = control.appendingPathComponent(script).path
            #expect(FileManager.default.isExecutableFile(atPath: path), "\(script) missing or not executable")
            let syntax = try await CLI.runAsync("/bin/sh", ["-n", path])
            #expect(syntax.status == 0, "\(script): \(syntax.stderr)")
        }
    }

    /// Depends names exactly the Debian packages that provide the binary's NEEDED libraries. The Swift runtime
    /// (from the toolchain in a debug build, linked in by --static-swift-stdlib in a release build) is no
    /// Debian package and is left out; the remaining NEEDED entries are the same in both builds.
    func dependsMatchNeededLibraries(deb: String, binary: String) async throws {
        let dump = try await CLI.runAsync("/usr/bin/objdump", ["-p", binary])
        try #require(dump.status == 0, "\(dump.stderr)")
        let needed = dump.stdout.split(separator: "\n").compactMap { line -> String? in
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            return fields.count == 2 && fields[0] == "NEEDED" ? String(fields[1]) : nil
        }
        try #require(needed.contains("libc.so.6"), "NEEDED entries: \(needed)")

        // ldd: where the loader finds each library ("\tlibre2.so.9 => /lib/x86_64-linux-gnu/libre2.so.9 (0x…)").
        let ldd = try await CLI.runAsync("/usr/bin/ldd", [binary])
        try #require(ldd.status == 0, "\(ldd.stdout)\(ldd.stderr)")
        var resolved: [String: String] = [:]
        for line in ldd.stdout.split(separator: "\n") {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if fields.count >= 3, fields[1] == "=>" {
                resolved[String(fields[0])] = String(fields[2])
            } else if let path = fields.first, path.hasPrefix("/") {
                resolved[String(path.split(separator: "/").last!)] = String(path)
            }
        }

        var fromLibraries: [String: String] = [:]   // package -> a library it provides
        var swiftRuntime: [String] = []
        for library in needed {
            guard let path = resolved[library], path.hasPrefix("/") else {
                Issue.record("the loader cannot find \(library) (ldd: \(resolved[library] ?? "absent"))")
                continue
            }
            guard let package = try await Self.debianPackage(owning: path) else {
                // Not from a Debian package: must be the Swift runtime of a debug build.
                #expect(Self.isSwiftRuntime(library), "\(library) (\(path)) belongs to no Debian package")
                swiftRuntime.append(library)
                continue
            }
            fromLibraries[package] = library
        }

        let depends = try await CLI.runAsync("/usr/bin/dpkg-deb", ["--field", deb, "Depends"])
        // "libsimdjson14, libre2-9, libc6 (>= 2.34)": package names without versions or alternatives.
        let declared = Set(depends.stdout.split(separator: ",").compactMap { item in
            item.split(separator: "|").first?.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "\n" }).first.map(String.init)
        })
        let missing = Set(fromLibraries.keys).subtracting(declared).sorted().map { "\($0) (\(fromLibraries[$0]!))" }
        let unneeded = declared.subtracting(fromLibraries.keys).sorted()
        #expect(missing.isEmpty, "Depends lacks packages whose libraries the binary needs: \(missing)")
        #expect(unneeded.isEmpty, "Depends names packages the binary needs no library of: \(unneeded)")
    }

    /// The packaged /etc/trailwatch/trailwatch.json passes `trailwatch check --config` once its absolute paths
    /// point into the extracted tree, and it loads every rule of the packaged pack.
    func packagedConfigurationIsValid(root: URL) async throws {
        let configuration = root.appendingPathComponent("etc/trailwatch/trailwatch.json")
        let original = String(decoding: try Data(contentsOf: configuration), as: UTF8.self)
        #expect(original.contains("\"/usr/share/trailwatch/rules\""), "the default configuration names the packaged rules")
        let rewritten = original
            .replacingOccurrences(of: "\"/usr/", with: "\"\(root.path)/usr/")
            .replacingOccurrences(of: "\"/var/", with: "\"\(root.path)/var/")
            .replacingOccurrences(of: "\"/etc/", with: "\"\(root.path)/etc/")
        try Data(rewritten.utf8).write(to: configuration)

        let binary = root.appendingPathComponent("usr/bin/trailwatch").path
        let check = try await CLI.runAsync(binary, ["check", "--config", configuration.path])
        #expect(check.status == 0, "trailwatch check --config (packaged):\n\(check.stdout)\(check.stderr)")
        // "ok: 23 rules in 3 files" from the repository's pack; "configuration OK: …, 23 rules" from the package.
        let pack = try await CLI.runAsync(binary, ["check", "--rules", CLI.packageRoot.appendingPathComponent("rules").path])
        let ruleCount = pack.stdout.split(separator: " ").dropFirst().first.flatMap { Int($0) }
        try #require(pack.status == 0 && ruleCount != nil, "check --rules rules: \(pack.stdout)\(pack.stderr)")
        #expect(check.stdout.contains(" \(ruleCount!) rules"), "packaged configuration loads \(ruleCount!) rules: \(check.stdout)")
    }

    // MARK: Helpers

    static func field(_ name: String, in control: String) -> String? {
        control.split(separator: "\n").first { $0.hasPrefix("\(name): ") }.map { String($0.dropFirst(name.count + 2)) }
    }

    static func isSwiftRuntime(_ library: String) -> Bool {
        ["libswift", "libFoundation", "libdispatch", "libBlocksRuntime", "lib_Foundation", "libicu"].contains { library.hasPrefix($0) }
    }

    /// The package owning `path` (`dpkg -S`), trying the /usr twin on merged-/usr systems, without ":amd64".
    static func debianPackage(owning path: String) async throws -> String? {
        var candidates = [path, URL(fileURLWithPath: path).resolvingSymlinksInPath().path]
        candidates += candidates.map { $0.hasPrefix("/usr/") ? String($0.dropFirst(4)) : "/usr" + $0 }
        for candidate in candidates {
            let owner = try await CLI.runAsync("/usr/bin/dpkg", ["-S", candidate])
            if owner.status == 0, let line = owner.stdout.split(separator: "\n").first,
               let package = line.split(separator: ":").first, !line.contains(", ") {
                return String(package)
            }
        }
        return nil
    }
}
