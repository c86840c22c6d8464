import Inference

// The async entry point, so that the async subcommands (migrate, serve, …) can run.
let main: () async -> Void = InferenceCommand.main
await main()
