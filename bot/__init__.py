"""Everything that touches the outside world: settings, wiring, transports and the CLI."""
