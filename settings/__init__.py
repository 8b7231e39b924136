"""Settings modules, one per environment; `project.conf` picks one by name."""
