import Core
import Logging
import Metrics
import Prometheus
import Synchronization

/// Process-wide logging and metrics set-up. swift-log and swift-metrics may be bootstrapped
/// only once per process; later calls are ignored.
public enum Observability {
    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Installs the log handler for `config.runtime.logFormat` (text or JSON lines on stderr)
    /// at `config.runtime.logLevel`, and the Prometheus metrics factory.
    /// - Returns: the registry `/metrics` renders.
    @discardableResult
    public static func bootstrap(service: String, config: AlphaPulseConfig) -> PrometheusCollectorRegistry {
        bootstrap(service: service, level: config.runtime.logLevel, format: config.runtime.logFormat)
    }

    @discardableResult
    public static func bootstrap(service: String, level: String, format: String) -> PrometheusCollectorRegistry {
        bootstrapped.withLock { registry in
            if let registry { return registry }
            let logLevel = Logger.Level(rawValue: level) ?? .info
            LoggingSystem.bootstrap { label in
                var handler: any LogHandler = format == "json"
                    ? JSONLogHandler(label: label, service: service)
                    : StreamLogHandler.standardError(label: label)
                handler.logLevel = logLevel
                return handler
            }
            let created = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: created)
            factory.defaultDurationHistogramBuckets = [
                .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
                .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10),
            ]
            MetricsSystem.bootstrap(factory)
            registry = created
            return created
        }
    }
}
