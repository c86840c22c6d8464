import Scheduler

// The async entry point, so that the async subcommands (migrate, serve, …) can run.
let main: () async -> Void = SchedulerCommand.main
await main()
