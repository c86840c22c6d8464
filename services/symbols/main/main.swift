import Symbols

// The async entry point, so that the async subcommands (migrate, serve, …) can run.
let main: () async -> Void = SymbolsCommand.main
await main()
