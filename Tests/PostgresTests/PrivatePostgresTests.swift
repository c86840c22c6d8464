import Foundation
import Testing
import TestSupport

/// The test helper's own server lives in a folder no other local user can enter (L11).
@Suite struct PrivatePostgresTests {
    @Test func theServerFolderIsPrivateToItsUser() throws {
        let server = try PrivatePostgres()
        var info = stat()
        try #require(lstat(server.directory, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFDIR, "not a plain folder")
        #expect(info.st_mode & 0o777 == 0o700, "mode \(String(info.st_mode & 0o777, radix: 8))")
        let expectedOwner = runningAsRoot ? try #require(getpwnam("postgres")).pointee.pw_uid : getuid()
        #expect(info.st_uid == expectedOwner)
    }
}
