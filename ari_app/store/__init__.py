"""Redis repositories: the desk's durable state and its event log."""
