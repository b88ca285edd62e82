"""Live pulls from flag systems' APIs and flag definitions kept in git, turned into kb's flag events."""
