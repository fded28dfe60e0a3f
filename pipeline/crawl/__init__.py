"""Finding and fetching published reports: source registry, discovery, polite fetching, raw archive."""
