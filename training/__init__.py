"""Training recipes (multi-task Trainer, data adapters, metrics): see the open training issue."""
