"""Support code for the command handlers: not commands themselves."""
