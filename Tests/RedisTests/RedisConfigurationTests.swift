import Redis
import Testing

@Suite struct RedisConfigurationTests {
    @Test func parsesEveryPart() throws {
        let configuration = try RedisConfiguration(url: "redis://app:s3cret@cache.local:6380/3")
        #expect(configuration.host == "cache.local")
        #expect(configuration.port == 6380)
        #expect(configuration.username == "app")
        #expect(configuration.password == "s3cret")
        #expect(configuration.database == 3)
    }

    @Test func appliesDefaults() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.host == "localhost")
        #expect(configuration.port == 6379)
        #expect(configuration.username == nil)
        #expect(configuration.password == nil)
        #expect(configuration.database == 0)
        #expect(configuration.connectTimeout == .seconds(5))
        #expect(configuration.reconnectTimeout == .seconds(10))
        #expect(configuration.poolSize == 4)
        #expect(try RedisConfiguration(url: "redis://localhost:7000/").database == 0)
    }

    @Test func parsesPasswordWithoutUser() throws {
        let configuration = try RedisConfiguration(url: "redis://:p%40ss%3Aword@10.0.0.5/2")
        #expect(configuration.username == nil)
        #expect(configuration.password == "p@ss:word")
        #expect(configuration.host == "10.0.0.5")
        #expect(configuration.database == 2)
    }

    @Test func parsesBracketedIPv6() throws {
        let configuration = try RedisConfiguration(url: "redis://[::1]:6390/1")
        #expect(configuration.host == "::1")
        #expect(configuration.port == 6390)
        #expect(configuration.description == "redis://[::1]:6390/1")
    }

    @Test(arguments: [
        "rediss://localhost:6379", "http://localhost", "localhost:6379", "redis://", "redis://:pw@",
        "redis://host:0", "redis://host:70000", "redis://host:abc", "redis://host/-1", "redis://host/x",
        "redis://host/0?timeout=1", "redis://[::1", "redis://:bad%zzescape@host",
    ])
    func rejectsBadURLs(url: String) {
        #expect {
            try RedisConfiguration(url: url)
        } throws: { error in
            (error as? RedisError)?.code == .invalidURL
        }
    }

    @Test func tlsIsRejectedWithAClearMessage() {
        do {
            _ = try RedisConfiguration(url: "rediss://cache:6379")
            Issue.record("rediss:// was accepted")
        } catch let error as RedisError {
            #expect(error.code == .invalidURL)
            #expect(error.message.contains("TLS"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func descriptionNeverShowsThePassword() throws {
        let configuration = try RedisConfiguration(url: "redis://app:hunter2@cache:6379/1")
        #expect(!configuration.description.contains("hunter2"))
        #expect(configuration.description == "redis://app:***@cache:6379/1")
        #expect(!"\(configuration)".contains("hunter2"))
    }
}
