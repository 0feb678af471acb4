"""A faithful local replica of a Pangea blog, served on loopback."""

from .content import BLOG_ZONE, Site
from .server import Replica

__all__ = ["BLOG_ZONE", "Replica", "Site"]
