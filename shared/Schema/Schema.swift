import Foundation
import Postgres

/// AlphaPulse's database schema: the numbered SQL files in `migrations/`, shipped as a
/// resource bundle beside each executable.
public enum Schema {
    /// Every migration, oldest first.
    /// - Throws: `PostgresError` `.migration` when the bundled files cannot be read.
    public static func migrations() throws -> [Migration] {
        guard let directory = Bundle.module.url(forResource: "migrations", withExtension: nil) else {
            throw PostgresError(.migration, message: "the migrations folder is missing from the resource bundle", connectionUsable: true)
        }
        return try Migration.load(from: directory)
    }

    /// A migrator over every migration.
    public static func migrator() throws -> PostgresMigrator {
        PostgresMigrator(migrations: try migrations())
    }
}
