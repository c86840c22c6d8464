import Gateway

// The executable's entry point: ArgumentParser's async main, so async subcommands run.
@main
extension GatewayCommand {}
