"""The Ray executor: jobs (builds, from the CLI today) on the target machines of a Ray
cluster (`pip install "engine-studio[cluster]"` on each, `ray start`, then `--cluster ray:HOST:PORT`)."""
