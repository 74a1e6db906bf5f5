"""Built-in backend plugin, registered by entry point like any third-party one."""
