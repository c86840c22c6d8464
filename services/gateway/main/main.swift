import Gateway

// The async entry point, so that the async subcommands (migrate, serve, …) can run.
let main: () async -> Void = GatewayCommand.main
await main()
