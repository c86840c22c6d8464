import Ingest

// The async entry point, so that the async subcommands (migrate, serve, …) can run.
let main: () async -> Void = IngestCommand.main
await main()
