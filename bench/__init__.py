"""Load and scale benchmarks (`make bench`, `make cluster-test`); never collected by pytest."""
