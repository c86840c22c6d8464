import Core
import Foundation
import HTTPTypes
import Hummingbird

/// The API's OpenAPI 3.1 document, served at `/openapi.json` without a key: the contract the
/// hand-written routes are held to (schemathesis runs against it in `deploy/alphapulse test`,
/// and `GatewayOpenAPITests` checks every documented path is served). Change a route and this
/// together.
enum OpenAPIDocument {
    static let json: String = document.replacingOccurrences(of: "VERSION_PLACEHOLDER", with: AlphaPulseVersion.current)

    static func register(on router: Router<BasicRequestContext>) {
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: json)))
        }
    }

    /// The documented methods of each documented path (`{name}` segments match any value).
    static var documentedMethods: [(segments: [String?], methods: Set<String>)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let paths = object["paths"] as? [String: [String: Any]] else { return [] }
        return paths.map { path, operations in
            let segments = path.split(separator: "/").map { $0.hasPrefix("{") ? nil : String($0) }
            return (segments, Set(operations.keys.map { $0.uppercased() }))
        }
    }

    /// The methods `routes` document for `path`, or nil when it documents no such path.
    static func allowedMethods(_ path: String, routes: [(segments: [String?], methods: Set<String>)]) -> Set<String>? {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var matched: Set<String>?
        for route in routes where route.segments.count == parts.count {
            if zip(route.segments, parts).allSatisfy({ $0.0 == nil || $0.0 == String($0.1) }) {
                matched = (matched ?? []).union(route.methods)
            }
        }
        return matched
    }

    private static let document = #"""
{
  "openapi": "3.1.0",
  "info": {
    "title": "AlphaPulse API",
    "version": "VERSION_PLACEHOLDER",
    "description": "Crypto market data and trading signals. Times are Unix milliseconds; prices and volumes exact decimal strings. Errors are application/problem+json (RFC 9457).",
    "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"}
  },
  "servers": [{"url": "/"}],
  "security": [{"bearer": []}, {"apiKey": []}],
  "tags": [
    {"name": "api", "description": "Market data, signals and analyses"},
    {"name": "operations", "description": "Health and this document"}
  ],
  "paths": {
    "/api/v1/version": {
      "get": {
        "summary": "The release, API version and schema version",
        "operationId": "getVersion",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Version"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/symbols": {
      "get": {
        "summary": "The tracked symbols",
        "operationId": "listSymbols",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SymbolList"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "market",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "only this market"
          }
        ]
      }
    },
    "/api/v1/symbols/history": {
      "get": {
        "summary": "Versions of the tracked list with what each added and removed, newest first",
        "operationId": "listSymbolHistory",
        "tags": ["api"],
        "responses": {
          "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SymbolHistory"}}}
          },
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
            "description": "page size (default 50, at most 500)"
          },
          {
            "name": "before",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807},
            "description": "a version: continue from a page's next_before"
          }
        ]
      }
    },
    "/api/v1/symbols/refresh": {
      "post": {
        "summary": "Ask the symbols service for a refresh of the tracked lists now (admin keys)",
        "operationId": "requestSymbolRefresh",
        "tags": ["api"],
        "description": "Sets symbols:refresh, which the symbols service's leader takes on its next tick; the request expires after an hour if none does. /api/v1/symbols/history shows what the refresh changed.",
        "responses": {
          "202": {"description": "Requested", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/RefreshRequest"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/candles/{market}/{symbol}": {
      "get": {
        "summary": "Candles of one symbol and interval opening in [from, to), oldest first",
        "operationId": "listCandles",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CandlePage"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "market",
            "in": "path",
            "required": true,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "spot or futures",
            "example": "futures"
          },
          {
            "name": "symbol",
            "in": "path",
            "required": true,
            "schema": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"},
            "description": "as Binance spells it",
            "example": "BTCUSDT"
          },
          {
            "name": "interval",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["1m", "5m", "15m", "1h", "4h", "1d"], "default": "1m"},
            "description": "candle interval"
          },
          {
            "name": "from",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "first open time, Unix ms (default 0)"
          },
          {
            "name": "to",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "end (excluded), Unix ms; an empty range gives an empty page"
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 500},
            "description": "page size (default 500, at most 1000)"
          }
        ]
      }
    },
    "/api/v1/signals": {
      "get": {
        "summary": "Signals, newest first",
        "operationId": "listSignals",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SignalPage"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "status",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["open", "won", "lost", "expired"]},
            "description": "only this status"
          },
          {
            "name": "symbol",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"},
            "description": "only this symbol"
          },
          {
            "name": "market",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "only this market"
          },
          {
            "name": "direction",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["long", "short"]},
            "description": "only this direction"
          },
          {
            "name": "from",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "signals made at or after, Unix ms"
          },
          {
            "name": "to",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "signals made before, Unix ms"
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
            "description": "page size (default 50, at most 500)"
          },
          {
            "name": "before",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807},
            "description": "a signal id: continue from a page's next_before"
          }
        ]
      }
    },
    "/api/v1/signals/id/{id}": {
      "get": {
        "summary": "One signal",
        "operationId": "getSignal",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Signal"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807},
            "description": "signal id",
            "example": 1
          }
        ]
      }
    },
    "/api/v1/signals/{symbol}": {
      "get": {
        "summary": "Analyse a tracked symbol now (on demand)",
        "operationId": "analyseNow",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Analysis"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "502": {"$ref": "#/components/responses/BadGateway"},
          "503": {"$ref": "#/components/responses/Unavailable"},
          "504": {"$ref": "#/components/responses/Timeout"}
        },
        "description": "Enqueues an on-demand analysis job at the newest committed 1m candle and waits for inference's reply; a moment already analysed returns the stored analysis.",
        "parameters": [
          {
            "name": "symbol",
            "in": "path",
            "required": true,
            "schema": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"},
            "description": "as Binance spells it",
            "example": "BTCUSDT"
          },
          {
            "name": "market",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "the market of a symbol tracked in both (futures otherwise)"
          }
        ]
      }
    },
    "/api/v1/analyses/{market}/{symbol}": {
      "get": {
        "summary": "The latest analysis of a symbol",
        "operationId": "getLatestAnalysis",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Analysis"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "market",
            "in": "path",
            "required": true,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "spot or futures",
            "example": "futures"
          },
          {
            "name": "symbol",
            "in": "path",
            "required": true,
            "schema": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"},
            "description": "as Binance spells it",
            "example": "BTCUSDT"
          }
        ]
      }
    },
    "/api/v1/performance": {
      "get": {
        "summary": "How the signals performed over a time range, with the operational report",
        "operationId": "getPerformance",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Performance"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "from",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "signals made at or after, Unix ms (default: 30 days before to)"
          },
          {
            "name": "to",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 0, "maximum": 32503680000000},
            "description": "signals made before, Unix ms (default: now)"
          },
          {
            "name": "market",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["spot", "futures"]},
            "description": "only this market"
          },
          {
            "name": "symbol",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "pattern": "^[A-Z0-9]{2,30}$"},
            "description": "only this symbol"
          }
        ]
      }
    },
    "/api/v1/metrics": {
      "get": {
        "summary": "The suite's current figures and health score",
        "operationId": "getSuiteMetrics",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Metrics"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/metrics/history": {
      "get": {
        "summary": "The monitor's samples of the suite's figures, oldest first",
        "operationId": "getMetricsHistory",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MetricsHistory"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
            "description": "the newest this many samples (default 100, at most 1000)"
          }
        ]
      }
    },
    "/api/v1/alerts": {
      "get": {
        "summary": "The monitor's alerts, newest first",
        "operationId": "listAlerts",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AlertPage"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "state",
            "in": "query",
            "required": false,
            "schema": {"type": "string", "enum": ["firing", "resolved"]},
            "description": "only alerts in this state"
          },
          {
            "name": "limit",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
            "description": "page size (default 50, at most 500)"
          },
          {
            "name": "before",
            "in": "query",
            "required": false,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807},
            "description": "an alert id: continue from a page's next_before"
          }
        ]
      }
    },
    "/api/v1/alerts/{id}/ack": {
      "post": {
        "summary": "Acknowledge an alert (admin keys)",
        "operationId": "acknowledgeAlert",
        "tags": ["api"],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Alert"}}}},
          "400": {"$ref": "#/components/responses/BadParameter"},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "403": {"$ref": "#/components/responses/Forbidden"},
          "404": {"$ref": "#/components/responses/NotFound"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        },
        "parameters": [
          {
            "name": "id",
            "in": "path",
            "required": true,
            "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": 9223372036854775807},
            "description": "alert id",
            "example": 1
          }
        ]
      }
    },
    "/api/v1/scheduler/status": {
      "get": {
        "summary": "The scheduler's lease, position and counts, and the job queues",
        "operationId": "getSchedulerStatus",
        "tags": ["api"],
        "responses": {
          "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SchedulerReport"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/api/v1/websocket/status": {
      "get": {
        "summary": "Ingest's WebSocket connections and each tracked symbol's freshness",
        "operationId": "getWebSocketStatus",
        "tags": ["api"],
        "responses": {
          "200": {
            "description": "OK",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/WebSocketReport"}}}
          },
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"},
          "503": {"$ref": "#/components/responses/Unavailable"}
        }
      }
    },
    "/health": {
      "get": {
        "summary": "The whole suite's health from its heartbeats",
        "operationId": "getHealth",
        "tags": ["operations"],
        "security": [],
        "responses": {
          "200": {
            "description": "pass or warn",
            "content": {"application/health+json": {"schema": {"$ref": "#/components/schemas/Health"}}}
          },
          "503": {
            "description": "fail",
            "content": {"application/health+json": {"schema": {"$ref": "#/components/schemas/Health"}}}
          }
        }
      }
    },
    "/healthz": {
      "get": {
        "summary": "This gateway is alive",
        "operationId": "getLiveness",
        "tags": ["operations"],
        "security": [],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Probe"}}}},
          "503": {
            "description": "a loop stalled",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Probe"}}}
          }
        }
      }
    },
    "/readyz": {
      "get": {
        "summary": "This gateway is ready",
        "operationId": "getReadiness",
        "tags": ["operations"],
        "security": [],
        "responses": {
          "200": {"description": "OK", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Probe"}}}},
          "503": {"description": "not ready", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Probe"}}}}
        }
      }
    },
    "/metrics": {
      "get": {
        "summary": "Prometheus metrics of this gateway",
        "operationId": "getMetrics",
        "tags": ["operations"],
        "description": "Public when the gateway binds loopback (gateway.metrics_auth: auto), else keyed.",
        "security": [{}, {"bearer": []}, {"apiKey": []}],
        "responses": {
          "200": {"description": "Prometheus text format 0.0.4", "content": {"text/plain": {"schema": {"type": "string"}}}},
          "401": {"$ref": "#/components/responses/Unauthorized"},
          "429": {"$ref": "#/components/responses/RateLimited"}
        }
      }
    },
    "/openapi.json": {
      "get": {
        "summary": "This document",
        "operationId": "getOpenAPI",
        "tags": ["operations"],
        "security": [],
        "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}}
      }
    }
  },
  "components": {
    "schemas": {
      "Problem": {
        "type": "object",
        "properties": {
          "type": {"type": "string"},
          "title": {"type": "string"},
          "status": {"type": "integer"},
          "detail": {"type": "string"},
          "instance": {"type": "string"},
          "parameter": {"type": "string"}
        },
        "required": ["type", "title", "status", "detail", "instance"],
        "additionalProperties": false,
        "description": "RFC 9457 problem details; `parameter` names the query or path parameter that is wrong."
      },
      "Version": {
        "type": "object",
        "properties": {
          "name": {"type": "string"},
          "version": {"type": "string"},
          "api": {"type": "string"},
          "schema": {"type": "integer", "description": "newest migration applied"}
        },
        "required": ["name", "version", "api", "schema"],
        "additionalProperties": false
      },
      "Symbol": {
        "type": "object",
        "properties": {
          "market": {"type": "string", "enum": ["spot", "futures"]},
          "symbol": {"type": "string"},
          "base_asset": {"type": "string"},
          "rank": {"type": "integer"},
          "quote_volume_24h": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "last_price": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "price_change_pct": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "updated_at": {"type": "integer", "description": "Unix milliseconds"}
        },
        "required": ["market", "symbol", "base_asset", "rank", "quote_volume_24h", "last_price", "price_change_pct", "updated_at"],
        "additionalProperties": false
      },
      "SymbolList": {
        "type": "object",
        "properties": {
          "version": {"type": "integer"},
          "count": {"type": "integer"},
          "symbols": {"type": "array", "items": {"$ref": "#/components/schemas/Symbol"}}
        },
        "required": ["version", "count", "symbols"],
        "additionalProperties": false
      },
      "ListChange": {
        "type": "object",
        "properties": {"market": {"type": "string", "enum": ["spot", "futures"]}, "symbol": {"type": "string"}},
        "required": ["market", "symbol"],
        "additionalProperties": false
      },
      "ListVersion": {
        "type": "object",
        "properties": {
          "version": {"type": "integer"},
          "changed_at": {"type": "integer", "description": "Unix milliseconds"},
          "added": {"type": "array", "items": {"$ref": "#/components/schemas/ListChange"}},
          "removed": {"type": "array", "items": {"$ref": "#/components/schemas/ListChange"}}
        },
        "required": ["version", "changed_at", "added", "removed"],
        "additionalProperties": false
      },
      "SymbolHistory": {
        "type": "object",
        "properties": {
          "versions": {"type": "array", "items": {"$ref": "#/components/schemas/ListVersion"}},
          "next_before": {"type": ["integer", "null"]}
        },
        "required": ["versions", "next_before"],
        "additionalProperties": false
      },
      "Candle": {
        "type": "object",
        "properties": {
          "open_time": {"type": "integer", "description": "Unix milliseconds"},
          "close_time": {"type": "integer", "description": "Unix milliseconds"},
          "open": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "high": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "low": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "close": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "volume": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "quote_volume": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "trades": {"type": "integer"},
          "taker_buy_volume": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "taker_buy_quote_volume": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "source": {"type": "string", "enum": ["ws", "backfill", "import", "rollup"]}
        },
        "required": [
          "open_time",
          "close_time",
          "open",
          "high",
          "low",
          "close",
          "volume",
          "quote_volume",
          "trades",
          "taker_buy_volume",
          "taker_buy_quote_volume",
          "source"
        ],
        "additionalProperties": false
      },
      "CandlePage": {
        "type": "object",
        "properties": {
          "market": {"type": "string", "enum": ["spot", "futures"]},
          "symbol": {"type": "string"},
          "interval": {"type": "string"},
          "candles": {"type": "array", "items": {"$ref": "#/components/schemas/Candle"}},
          "next_from": {"type": ["integer", "null"]}
        },
        "required": ["market", "symbol", "interval", "candles", "next_from"],
        "additionalProperties": false
      },
      "Signal": {
        "type": "object",
        "properties": {
          "id": {"type": "integer"},
          "market": {"type": "string", "enum": ["spot", "futures"]},
          "symbol": {"type": "string"},
          "direction": {"type": "string", "enum": ["long", "short"]},
          "moment": {"type": "integer", "description": "Unix milliseconds"},
          "created_at": {"type": "integer", "description": "Unix milliseconds"},
          "expires_at": {"type": "integer", "description": "Unix milliseconds"},
          "entry": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "stop": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"},
          "targets": {
            "type": "array",
            "items": {"type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?$", "description": "exact decimal"}
          },
          "probability": {"type": "number"},
          "confidence": {"type": "number"},
          "agreeing_heads": {"type": "array", "items": {"type": "string"}},
          "status": {"type": "string", "enum": ["open", "won", "lost", "expired"]},
          "resolved_at": {"type": ["integer", "null"]},
          "exit_price": {"type": ["string", "null"]},
          "outcome_r": {"type": ["number", "null"]},
          "analysis_id": {"type": ["integer", "null"]}
        },
        "required": [
          "id",
          "market",
          "symbol",
          "direction",
          "moment",
          "created_at",
          "expires_at",
          "entry",
          "stop",
          "targets",
          "probability",
          "confidence",
          "agreeing_heads",
          "status",
          "resolved_at",
          "exit_price",
          "outcome_r",
          "analysis_id"
        ],
        "additionalProperties": false
      },
      "SignalPage": {
        "type": "object",
        "properties": {
          "signals": {"type": "array", "items": {"$ref": "#/components/schemas/Signal"}},
          "next_before": {"type": ["integer", "null"]}
        },
        "required": ["signals", "next_before"],
        "additionalProperties": false
      },
      "Vote": {
        "type": "object",
        "properties": {
          "head": {
            "type": "string",
            "enum": [
              "technical",
              "sentiment",
              "volume",
              "rule_based",
              "ict",
              "wyckoff",
              "harmonic",
              "market_structure",
              "crypto_metrics"
            ]
          },
          "direction": {"type": "string", "enum": ["long", "short", "neutral"]},
          "probability": {"type": "number"},
          "confidence": {"type": "number"},
          "reasons": {"type": "array", "items": {"type": "string"}}
        },
        "required": ["head", "direction", "probability", "confidence", "reasons"],
        "additionalProperties": false
      },
      "Analysis": {
        "type": "object",
        "properties": {
          "id": {"type": "integer"},
          "market": {"type": "string", "enum": ["spot", "futures"]},
          "symbol": {"type": "string"},
          "moment": {"type": "integer", "description": "Unix milliseconds"},
          "analyzed_at": {"type": "integer", "description": "Unix milliseconds"},
          "direction": {"type": "string", "enum": ["long", "short", "neutral"]},
          "summary": {"type": "string"},
          "long_count": {"type": "integer"},
          "short_count": {"type": "integer"},
          "probability": {"type": "number"},
          "confidence": {"type": "number"},
          "agreeing_heads": {
            "type": "array",
            "items": {
              "type": "string",
              "enum": [
                "technical",
                "sentiment",
                "volume",
                "rule_based",
                "ict",
                "wyckoff",
                "harmonic",
                "market_structure",
                "crypto_metrics"
              ]
            }
          },
          "votes": {"type": "array", "items": {"$ref": "#/components/schemas/Vote"}},
          "missing_heads": {"type": "array", "items": {"type": "string"}},
          "inputs": {
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": "newest candle open time used per interval, and counts"
          },
          "job_id": {"type": ["string", "null"]},
          "reason": {"type": ["string", "null"]},
          "queue_wait_ms": {"type": ["number", "null"]},
          "compute_ms": {"type": ["number", "null"]},
          "signal": {"anyOf": [{"$ref": "#/components/schemas/Signal"}, {"type": "null"}]}
        },
        "required": [
          "id",
          "market",
          "symbol",
          "moment",
          "analyzed_at",
          "direction",
          "summary",
          "long_count",
          "short_count",
          "probability",
          "confidence",
          "agreeing_heads",
          "votes",
          "missing_heads",
          "inputs",
          "job_id",
          "reason",
          "queue_wait_ms",
          "compute_ms",
          "signal"
        ],
        "additionalProperties": false
      },
      "Figures": {
        "type": "object",
        "properties": {
          "signals": {"type": "integer"},
          "open": {"type": "integer"},
          "resolved": {"type": "integer"},
          "won": {"type": "integer"},
          "lost": {"type": "integer"},
          "expired": {"type": "integer"},
          "win_rate": {"type": "number"},
          "mean_r": {"type": "number"},
          "expectancy_r": {"type": "number"},
          "total_r": {"type": "number"},
          "profit_factor": {"type": ["number", "null"]},
          "max_drawdown_r": {"type": "number"},
          "median_minutes_to_outcome": {"type": ["number", "null"]}
        },
        "required": [
          "signals",
          "open",
          "resolved",
          "won",
          "lost",
          "expired",
          "win_rate",
          "mean_r",
          "expectancy_r",
          "total_r",
          "profit_factor",
          "max_drawdown_r",
          "median_minutes_to_outcome"
        ],
        "additionalProperties": false,
        "description": "won/resolved, R per resolved signal, drawdown of cumulative R in resolution order (the backtest's definitions)"
      },
      "Group": {
        "type": "object",
        "properties": {"key": {"type": "string"}, "figures": {"$ref": "#/components/schemas/Figures"}},
        "required": ["key", "figures"],
        "additionalProperties": false
      },
      "Percentiles": {
        "type": "object",
        "properties": {"p50": {"type": ["number", "null"]}, "p99": {"type": ["number", "null"]}},
        "required": ["p50", "p99"],
        "additionalProperties": false
      },
      "ServiceUptime": {
        "type": "object",
        "properties": {"service": {"type": "string"}, "instances": {"type": "integer"}, "uptime_seconds": {"type": "integer"}},
        "required": ["service", "instances", "uptime_seconds"],
        "additionalProperties": false
      },
      "Operations": {
        "type": "object",
        "properties": {
          "analyses": {"type": "integer"},
          "analyses_per_hour": {"type": "number"},
          "signals_per_day": {"type": "number"},
          "queue_wait_ms": {"$ref": "#/components/schemas/Percentiles"},
          "compute_ms": {"$ref": "#/components/schemas/Percentiles"},
          "services": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceUptime"}}
        },
        "required": ["analyses", "analyses_per_hour", "signals_per_day", "queue_wait_ms", "compute_ms", "services"],
        "additionalProperties": false
      },
      "Performance": {
        "type": "object",
        "properties": {
          "from": {"type": "integer", "description": "Unix milliseconds"},
          "to": {"type": "integer", "description": "Unix milliseconds"},
          "figures": {"$ref": "#/components/schemas/Figures"},
          "by_head": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
          "by_symbol": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
          "by_market": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
          "by_direction": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
          "by_agreeing_heads": {"type": "array", "items": {"$ref": "#/components/schemas/Group"}},
          "operations": {"$ref": "#/components/schemas/Operations"}
        },
        "required": [
          "from",
          "to",
          "figures",
          "by_head",
          "by_symbol",
          "by_market",
          "by_direction",
          "by_agreeing_heads",
          "operations"
        ],
        "additionalProperties": false
      },
      "ServiceFigures": {
        "type": "object",
        "properties": {
          "service": {"type": "string"},
          "expected": {"type": "boolean"},
          "instances": {"type": "integer"},
          "ready": {"type": "integer"},
          "restarts": {"type": "integer"},
          "cpu_percent": {"type": "number"},
          "rss_bytes": {"type": "integer"}
        },
        "required": ["service", "expected", "instances", "ready", "restarts", "cpu_percent", "rss_bytes"],
        "additionalProperties": false
      },
      "IngestFigures": {
        "type": "object",
        "properties": {
          "frames_per_second": {"type": "number"},
          "candles_per_second": {"type": "number"},
          "persister_lag": {"type": "integer"},
          "connections": {"type": "integer"},
          "connected": {"type": "integer"},
          "tracked_symbols": {"type": "integer"},
          "stale_symbols": {"type": "integer"}
        },
        "required": [
          "frames_per_second",
          "candles_per_second",
          "persister_lag",
          "connections",
          "connected",
          "tracked_symbols",
          "stale_symbols"
        ],
        "additionalProperties": false
      },
      "InferenceFigures": {
        "type": "object",
        "properties": {
          "jobs_per_second": {"type": "number"},
          "analysed": {"type": "integer"},
          "signals": {"type": "integer"},
          "latency_p50_ms": {"type": ["number", "null"], "description": "queue wait + compute of the latest analyses, median (slowest instance)"},
          "latency_p99_ms": {"type": ["number", "null"], "description": "queue wait + compute of the latest analyses, 99th percentile (slowest instance)"}
        },
        "required": ["jobs_per_second", "analysed", "signals", "latency_p50_ms", "latency_p99_ms"],
        "additionalProperties": false
      },
      "Metrics": {
        "type": "object",
        "properties": {
          "time": {"type": "integer", "description": "Unix milliseconds"},
          "score": {"type": "integer", "minimum": 0, "maximum": 100},
          "services": {"type": "array", "items": {"$ref": "#/components/schemas/ServiceFigures"}},
          "ingest": {"$ref": "#/components/schemas/IngestFigures"},
          "inference": {"$ref": "#/components/schemas/InferenceFigures"},
          "jobs": {
            "type": "object",
            "properties": {"routine": {"$ref": "#/components/schemas/Queue"}, "on_demand": {"$ref": "#/components/schemas/Queue"}},
            "required": ["routine", "on_demand"],
            "additionalProperties": false
          },
          "dead_letters": {
            "type": "object",
            "properties": {"candles": {"type": "integer"}, "jobs": {"type": "integer"}},
            "required": ["candles", "jobs"],
            "additionalProperties": false
          },
          "signals": {
            "type": "object",
            "properties": {"open": {"type": "integer"}, "last24h": {"type": "integer"}},
            "required": ["open", "last24h"],
            "additionalProperties": false
          },
          "binance": {
            "type": "object",
            "properties": {"rate_limited": {"type": "integer"}, "banned": {"type": "integer"}},
            "required": ["rate_limited", "banned"],
            "additionalProperties": false
          }
        },
        "required": ["time", "score", "services", "ingest", "inference", "jobs", "dead_letters", "signals", "binance"],
        "additionalProperties": false
      },
      "RefreshRequest": {
        "type": "object",
        "properties": {
          "requested": {"type": "boolean", "const": true},
          "requested_at": {"type": "integer", "description": "Redis's clock, Unix milliseconds"}
        },
        "required": ["requested", "requested_at"],
        "additionalProperties": false
      },
      "Alert": {
        "type": "object",
        "properties": {
          "id": {"type": "integer"},
          "fingerprint": {"type": "string", "description": "rule:subject; one unresolved alert per fingerprint"},
          "rule": {"type": "string"},
          "subject": {"type": "string"},
          "severity": {"type": "string", "enum": ["info", "warning", "critical"]},
          "state": {"type": "string", "enum": ["firing", "resolved"]},
          "message": {"type": "string"},
          "value": {"type": ["number", "null"]},
          "created_at": {"type": "integer", "description": "Unix milliseconds"},
          "resolved_at": {"type": ["integer", "null"]},
          "acknowledged_at": {"type": ["integer", "null"]}
        },
        "required": ["id", "fingerprint", "rule", "subject", "severity", "state", "message", "value", "created_at", "resolved_at", "acknowledged_at"],
        "additionalProperties": false
      },
      "AlertPage": {
        "type": "object",
        "properties": {
          "alerts": {"type": "array", "items": {"$ref": "#/components/schemas/Alert"}},
          "next_before": {"type": ["integer", "null"]}
        },
        "required": ["alerts", "next_before"],
        "additionalProperties": false
      },
      "MetricsHistory": {
        "type": "object",
        "properties": {
          "points": {"type": "array", "items": {"$ref": "#/components/schemas/Metrics"}}
        },
        "required": ["points"],
        "additionalProperties": false
      },
      "Lease": {
        "type": "object",
        "properties": {"holder": {"type": ["string", "null"]}, "ttl_ms": {"type": ["integer", "null"]}},
        "required": ["holder", "ttl_ms"],
        "additionalProperties": false
      },
      "Schedule": {
        "type": "object",
        "properties": {
          "leader": {"type": "string"},
          "mode": {"type": "string", "enum": ["round_robin", "close", "both"]},
          "symbols": {"type": "integer"},
          "position": {"type": "string"},
          "cycle": {"type": "integer"},
          "exchange_time": {"type": "integer", "description": "Unix milliseconds"},
          "next_batch": {"type": "integer", "description": "Unix milliseconds"},
          "enqueued": {"type": "integer"},
          "coalesced": {"type": "integer"},
          "skipped": {"type": "integer"},
          "fenced": {"type": "integer"},
          "updated": {"type": "integer", "description": "Unix milliseconds"}
        },
        "required": [
          "leader",
          "mode",
          "symbols",
          "position",
          "cycle",
          "exchange_time",
          "next_batch",
          "enqueued",
          "coalesced",
          "skipped",
          "fenced",
          "updated"
        ],
        "additionalProperties": false
      },
      "Queue": {
        "type": "object",
        "properties": {
          "length": {"type": "integer"},
          "pending": {"type": "integer"},
          "lag": {"type": ["integer", "null"]},
          "consumers": {"type": "integer"}
        },
        "required": ["length", "pending", "lag", "consumers"],
        "additionalProperties": false
      },
      "Queues": {
        "type": "object",
        "properties": {
          "jobs": {"$ref": "#/components/schemas/Queue"},
          "jobs_now": {"$ref": "#/components/schemas/Queue"},
          "dead_letters": {"type": "integer"}
        },
        "required": ["jobs", "jobs_now", "dead_letters"],
        "additionalProperties": false
      },
      "SchedulerReport": {
        "type": "object",
        "properties": {
          "lease": {"$ref": "#/components/schemas/Lease"},
          "status": {"anyOf": [{"$ref": "#/components/schemas/Schedule"}, {"type": "null"}]},
          "queues": {"$ref": "#/components/schemas/Queues"}
        },
        "required": ["lease", "status", "queues"],
        "additionalProperties": false
      },
      "Connection": {
        "type": "object",
        "properties": {
          "id": {"type": "string"},
          "market": {"type": "string"},
          "streams": {"type": "integer"},
          "frames": {"type": "integer"},
          "reconnects": {"type": "integer"},
          "connected_since": {"type": ["integer", "null"]},
          "last_frame_age_ms": {"type": ["integer", "null"]},
          "last_error": {"type": ["string", "null"]}
        },
        "required": ["id", "market", "streams", "frames", "reconnects", "connected_since", "last_frame_age_ms", "last_error"],
        "additionalProperties": false
      },
      "IngestInstance": {
        "type": "object",
        "properties": {
          "instance": {"type": "string"},
          "status": {"type": "string"},
          "frames_per_second": {"type": "number"},
          "symbols_futures": {"type": "integer"},
          "symbols_spot": {"type": "integer"},
          "connections": {"type": "array", "items": {"$ref": "#/components/schemas/Connection"}}
        },
        "required": ["instance", "status", "frames_per_second", "symbols_futures", "symbols_spot", "connections"],
        "additionalProperties": false
      },
      "SymbolFreshness": {
        "type": "object",
        "properties": {
          "market": {"type": "string", "enum": ["spot", "futures"]},
          "symbol": {"type": "string"},
          "last_event_time": {"type": ["integer", "null"]},
          "behind_ms": {"type": ["integer", "null"]},
          "stale": {"type": "boolean"}
        },
        "required": ["market", "symbol", "last_event_time", "behind_ms", "stale"],
        "additionalProperties": false
      },
      "WebSocketReport": {
        "type": "object",
        "properties": {
          "instances": {"type": "array", "items": {"$ref": "#/components/schemas/IngestInstance"}},
          "connections": {"type": "integer"},
          "connected": {"type": "integer"},
          "streams": {"type": "integer"},
          "reconnects": {"type": "integer"},
          "exchange_time": {"type": ["integer", "null"]},
          "stale_after_ms": {"type": "integer"},
          "stale_symbols": {"type": "integer"},
          "symbols": {"type": "array", "items": {"$ref": "#/components/schemas/SymbolFreshness"}}
        },
        "required": [
          "instances",
          "connections",
          "connected",
          "streams",
          "reconnects",
          "exchange_time",
          "stale_after_ms",
          "stale_symbols",
          "symbols"
        ],
        "additionalProperties": false
      },
      "HealthCheck": {
        "type": "object",
        "properties": {
          "componentId": {"type": "string"},
          "componentType": {"type": "string"},
          "status": {"type": "string", "enum": ["pass", "warn", "fail"]},
          "ready": {"type": "boolean"},
          "time": {"type": "string"},
          "lastSeenMilliseconds": {"type": "integer"},
          "restarts": {"type": "integer"},
          "output": {"type": "string"},
          "stats": {"type": "object", "additionalProperties": {"type": "string"}}
        },
        "required": ["componentType", "status", "ready"],
        "additionalProperties": false
      },
      "Health": {
        "type": "object",
        "properties": {
          "status": {"type": "string", "enum": ["pass", "warn", "fail"]},
          "version": {"type": "string"},
          "description": {"type": "string"},
          "checks": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"$ref": "#/components/schemas/HealthCheck"}}
          }
        },
        "required": ["status", "version", "description", "checks"],
        "additionalProperties": false
      },
      "Probe": {
        "type": "object",
        "properties": {"status": {"type": "string"}, "service": {"type": "string"}},
        "required": ["status", "service"],
        "additionalProperties": {"type": "string"}
      }
    },
    "responses": {
      "Unauthorized": {
        "description": "no valid API key",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}
      },
      "Forbidden": {
        "description": "the API key's scope is too small (admin needed)",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "RateLimited": {
        "description": "this key's rate limit is spent",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
      },
      "Unavailable": {
        "description": "PostgreSQL or Redis unavailable, or too many on-demand requests wait",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 1}}}
      },
      "BadParameter": {
        "description": "a parameter is wrong; `parameter` names it",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "NotFound": {
        "description": "unknown symbol or resource",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "BadGateway": {
        "description": "inference could not analyse the job",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      },
      "Timeout": {
        "description": "no analysis within gateway.on_demand_timeout_seconds",
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
      }
    },
    "securitySchemes": {
      "bearer": {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer apk_…"},
      "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    }
  }
}
"""#
}

/// Answers 405 with `Allow` for a documented path asked with a method the document does not
/// list for it (HEAD included: the router serves none), instead of the router's 404; OPTIONS
/// is left to CORS.
/// The document stays the one list of what the API serves.
struct DocumentedMethodsMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: [(segments: [String?], methods: Set<String>)]

    init(routes: [(segments: [String?], methods: Set<String>)] = OpenAPIDocument.documentedMethods) {
        self.routes = routes
    }

    func allowed(_ path: String) -> Set<String>? {
        OpenAPIDocument.allowedMethods(path, routes: routes)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let method = request.method.rawValue
        guard method != "OPTIONS", let methods = allowed(request.uri.path) else { return try await next(request, context) }
        if methods.contains(method) { return try await next(request, context) }
        throw Problem(
            .methodNotAllowed, "\(method) is not allowed on \(request.uri.path)",
            headers: ["Allow": methods.sorted().joined(separator: ", ")])
    }
}
