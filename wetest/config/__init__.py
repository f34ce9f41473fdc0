"""Configuration: one naming rule, one resolver, frozen settings (option > env > file > default)."""
