import Foundation
import Yams

/// Resolves configuration from defaults, one YAML file, the environment and flags — in that
/// order of priority — and validates every value against its `ConfigKey`.
///
/// A secret key can also be read from a file named by its variable plus `_FILE`
/// (`ALPHAPULSE_DATABASE_URL_FILE=/run/secrets/db-url`), so the secret stays out of the
/// environment and of command lines. Setting both forms of one key is an error.
public struct ConfigLoader: Sendable {
    /// The file read when neither `--config` nor `ALPHAPULSE_CONFIG` names one.
    public static let defaultFile = "deploy/config/alphapulse.yaml"

    public var keys: [String: ConfigKey]

    public init(keys: [ConfigKey] = ConfigKeys.all) {
        self.keys = Dictionary(uniqueKeysWithValues: keys.map { ($0.path, $0) })
    }

    /// - Parameters:
    ///   - file: the file named by a `--config` flag, if any.
    ///   - environment: the process environment (`ALPHAPULSE_CONFIG` names the file when no flag does).
    ///   - flags: `path=value` overrides from the command line, highest priority.
    /// - Throws: `ConfigError` naming the key, file or variable at fault.
    public func load(file: String? = nil, environment: [String: String], flags: [String: String] = [:]) throws -> ResolvedConfig {
        var values: [String: ResolvedConfig.Entry] = [:]
        for key in keys.values {
            values[key.path] = .init(value: key.defaultValue, origin: "default")
        }

        let explicitFile = file ?? environment["ALPHAPULSE_CONFIG"].flatMap { $0.isEmpty ? nil : $0 }
        let path = explicitFile ?? Self.defaultFile
        if FileManager.default.fileExists(atPath: path) {
            for (keyPath, raw) in try readFile(path) {
                guard let key = keys[keyPath] else {
                    throw ConfigError(key: keyPath, origin: path, message: "unknown key\(suggestion(for: keyPath))")
                }
                values[keyPath] = .init(value: try key.validate(raw, origin: path), origin: path)
            }
        } else if explicitFile != nil {
            throw ConfigError(key: nil, origin: path, message: "configuration file not found")
        }

        for key in keys.values {
            let fileVariable = key.environmentName + ConfigKey.fileSuffix
            switch (environment[key.environmentName], key.isSecret ? environment[fileVariable] : nil) {
            case (let raw?, nil):
                values[key.path] = .init(value: try key.validate(raw, origin: key.environmentName), origin: key.environmentName)
            case (nil, let file?):
                let origin = "\(fileVariable)=\(file)"
                values[key.path] = .init(value: try key.validate(try Self.readSecret(file, key: key, origin: origin), origin: origin), origin: origin)
            case (.some, .some):
                throw ConfigError(key: key.path, origin: fileVariable, message: "set \(key.environmentName) or \(fileVariable), not both")
            case (nil, nil):
                break
            }
        }

        for (keyPath, raw) in flags {
            guard let key = keys[keyPath] else {
                throw ConfigError(key: keyPath, origin: "flag", message: "unknown key\(suggestion(for: keyPath))")
            }
            values[keyPath] = .init(value: try key.validate(raw, origin: "flag"), origin: "flag")
        }
        return ResolvedConfig(entries: values, keys: keys)
    }

    /// The content of a `…_FILE` secret: the file's text without its trailing line break(s).
    static func readSecret(_ file: String, key: ConfigKey, origin: String) throws -> String {
        func fail(_ why: String) -> ConfigError { ConfigError(key: key.path, origin: origin, message: why) }
        guard let handle = FileHandle(forReadingAtPath: file) else {
            throw fail("cannot read the file \(file): \(FileManager.default.fileExists(atPath: file) ? "permission denied" : "no such file")")
        }
        defer { try? handle.close() }
        // A secret is one line; refuse to slurp something else named by mistake.
        let limit = 64 * 1024
        let data: Data
        do {
            data = try handle.read(upToCount: limit + 1) ?? Data()
        } catch {
            throw fail("cannot read the file \(file): \(error.localizedDescription)")
        }
        guard data.count <= limit else { throw fail("the file \(file) is larger than \(limit) bytes; it should hold one line") }
        guard var text = String(data: data, encoding: .utf8) else { throw fail("the file \(file) is not UTF-8 text") }
        // By scalars: "\r\n" is one Character, which hasSuffix("\n") would not match.
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" { text.unicodeScalars.removeLast() }
        guard !text.isEmpty else { throw fail("the file \(file) is empty") }
        return text
    }

    /// Flattens a YAML mapping into dotted paths. Sequences become comma-separated lists.
    func readFile(_ path: String) throws -> [(String, String)] {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError(key: nil, origin: path, message: "cannot read the file: \(error.localizedDescription)")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(key: nil, origin: path, message: "invalid YAML: \(Self.describe(error))")
        } catch {
            throw ConfigError(key: nil, origin: path, message: "invalid YAML: \(error)")
        }
        guard let node else { return [] }
        guard case .mapping(let root) = node else {
            throw ConfigError(key: nil, origin: path, message: "the top level must be a mapping of keys")
        }
        var result: [(String, String)] = []
        try flatten(root, prefix: "", into: &result, file: path)
        return result
    }

    private func flatten(_ mapping: Node.Mapping, prefix: String, into result: inout [(String, String)], file: String) throws {
        for (keyNode, valueNode) in mapping {
            guard let name = keyNode.scalar?.string else {
                throw ConfigError(key: prefix.isEmpty ? nil : prefix, origin: file, message: "keys must be plain names")
            }
            let path = prefix.isEmpty ? name : prefix + "." + name
            switch valueNode {
            case .mapping(let child):
                if keys[path] != nil {
                    throw ConfigError(key: path, origin: file, message: "expected a single value, found a mapping")
                }
                try flatten(child, prefix: path, into: &result, file: file)
            case .sequence(let items):
                let scalars = try items.map { item -> String in
                    guard let scalar = item.scalar?.string else {
                        throw ConfigError(key: path, origin: file, message: "list items must be plain values")
                    }
                    return scalar
                }
                result.append((path, scalars.joined(separator: ",")))
            case .scalar(let scalar):
                if keys[path] == nil, keys.keys.contains(where: { $0.hasPrefix(path + ".") }) {
                    throw ConfigError(key: path, origin: file, message: "expected a mapping of sub-keys")
                }
                result.append((path, scalar.string))
            case .alias:
                throw ConfigError(key: path, origin: file, message: "YAML aliases are not supported")
            }
        }
    }

    private func suggestion(for path: String) -> String {
        let close = keys.keys.filter { $0.hasPrefix(path.split(separator: ".").first.map(String.init) ?? path) }.sorted()
        return close.isEmpty ? "" : " (known keys here: \(close.joined(separator: ", ")))"
    }

    private static func describe(_ error: YamlError) -> String {
        String(describing: error).split(separator: "\n").first.map(String.init) ?? "unreadable"
    }
}

/// Configuration values after resolution, with where each came from.
public struct ResolvedConfig: Sendable {
    public struct Entry: Sendable, Equatable {
        public let value: String
        /// `default`, a file path, an environment variable name or `flag`.
        public let origin: String
    }

    public let entries: [String: Entry]
    let keys: [String: ConfigKey]

    /// The validated value of `path`. Traps for a key that was never declared: that is a bug.
    public func string(_ path: String) -> String {
        guard let entry = entries[path] else { preconditionFailure("undeclared configuration key \(path)") }
        return entry.value
    }

    public func int(_ path: String) -> Int { Int(string(path))! }
    public func double(_ path: String) -> Double { Double(string(path))! }
    public func bool(_ path: String) -> Bool { string(path) == "true" }
    public func list(_ path: String) -> [String] { string(path).split(separator: ",").map(String.init) }

    /// Every key with its displayable (secret-redacted) value and origin, sorted by path.
    public func redactedEntries() -> [(path: String, value: String, origin: String)] {
        entries.keys.sorted().map { path in
            let entry = entries[path]!
            return (path, Redaction.display(entry.value, for: keys[path]!), entry.origin)
        }
    }
}
