"""The Ray executor: builds, benchmarks and accuracy checks on the target machines of a Ray
cluster (`pip install "engine-studio[cluster]"` on each, `ray start`, then `--cluster ray:HOST:PORT`)."""
