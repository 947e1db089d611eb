"""canhgiac: tells whether a Vietnamese message is a scam, which kind, and why."""

__version__ = "0.1.0"
