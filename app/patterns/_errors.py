"""The one exception of the pattern library, with a code, the pattern id and the file."""

from __future__ import annotations

__all__ = ["PatternError"]


class PatternError(ValueError):
    """A pattern file is broken; the message names the code, the pattern id and the file.

    Codes: ``P001`` unreadable file, ``P002`` bad file shape, ``P003`` missing, unknown or
    ill-typed field, ``P004`` bad id, ``P005`` duplicate id, ``P006`` unknown label, ``P007``
    weight out of range, ``P008`` regex that does not compile, ``P009`` unsafe regex, ``P010``
    bad meta expression, ``P011`` meta with an unknown id, ``P012`` meta cycle, ``P013`` unused
    sub-pattern, ``P014`` example missed, ``P015`` counter-example hit, ``P016`` no files.
    """

    def __init__(self, code: str, message: str, pattern_id: str | None = None, file: str | None = None):
        where = []
        if pattern_id:
            where.append(f"pattern {pattern_id!r}")
        if file:
            where.append(f"in {file}")
        prefix = f"[{code}] " + (" ".join(where) + ": " if where else "")
        super().__init__(prefix + message)
        self.code = code
        self.pattern_id = pattern_id
        self.file = file
