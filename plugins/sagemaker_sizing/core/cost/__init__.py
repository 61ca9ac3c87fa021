"""Money: price tables and their sources, what a configuration costs, the test budget."""
