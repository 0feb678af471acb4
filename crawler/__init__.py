"""Archive a Pangea CMS blog (RFE/RL, VOA and their language services) into SQLite."""

__version__ = "0.1.0"
