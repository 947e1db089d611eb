"""Meta expressions (``(__A + __B + __C) >= 2``): a tiny safe parser, never ``eval``."""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field

__all__ = ["MetaExpr", "parse_meta"]

_TOKEN = re.compile(
    r"\s*(?:(?P<num>\d+(?:\.\d+)?)|(?P<id>_*[A-Z][A-Z0-9_]*)|(?P<op>>=|<=|==|!=|&&|\|\||[-+()<>!]))"
)
_COMPARE = {">=", "<=", "==", "!=", ">", "<"}

# An expression tree of tuples: ("num", v) ("id", name) ("not", x) ("neg", x) (op, a, b).
Node = tuple


@dataclass(frozen=True)
class MetaExpr:
    """A parsed meta expression.

    Attributes
    ----------
    source : str
        The expression as written.
    ids : frozenset[str]
        The pattern ids it refers to.
    """

    source: str
    ids: frozenset[str]
    _tree: Node = field(repr=False)

    def evaluate(self, fired: Container[str]) -> bool:
        """Whether the meta fires, given the ids that fired (each counts 1, else 0)."""
        return _eval(self._tree, fired) != 0


def _eval(node: Node, fired: Container[str]) -> float:
    kind = node[0]
    if kind == "id":
        return 1.0 if node[1] in fired else 0.0
    if kind == "num":
        return node[1]
    if kind == "not":
        return 0.0 if _eval(node[1], fired) else 1.0
    if kind == "neg":
        return -_eval(node[1], fired)
    if kind == "&&":
        return 1.0 if _eval(node[1], fired) and _eval(node[2], fired) else 0.0
    if kind == "||":
        return 1.0 if _eval(node[1], fired) or _eval(node[2], fired) else 0.0
    a, b = _eval(node[1], fired), _eval(node[2], fired)
    if kind == "+":
        return a + b
    if kind == "-":
        return a - b
    return float({">=": a >= b, "<=": a <= b, "==": a == b, "!=": a != b, ">": a > b, "<": a < b}[kind])


class _Parser:
    """Recursive descent with C precedence: ``||`` < ``&&`` < comparisons < ``+ -`` < ``! -``."""

    def __init__(self, source: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        pos = 0
        source = source.rstrip()
        while pos < len(source):
            m = _TOKEN.match(source, pos)
            if not m or m.end() == pos:
                raise ValueError(f"unexpected {source[pos:].strip()[:20]!r} at character {pos}")
            kind = m.lastgroup or "op"
            self.tokens.append((kind, m.group(kind)))
            pos = m.end()
        self.i = 0
        self.ids: set[str] = set()

    def peek(self) -> str | None:
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.i >= len(self.tokens):
            raise ValueError("the expression ends too early")
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self) -> Node:
        if not self.tokens:
            raise ValueError("the expression is empty")
        node = self.or_()
        if self.i != len(self.tokens):
            raise ValueError(f"unexpected {self.tokens[self.i][1]!r} after a complete expression")
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.peek() == "||":
            self.take()
            node = ("||", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.compare()
        while self.peek() == "&&":
            self.take()
            node = ("&&", node, self.compare())
        return node

    def compare(self) -> Node:
        node = self.sum_()
        if self.peek() in _COMPARE:
            op = self.take()[1]
            node = (op, node, self.sum_())
            if self.peek() in _COMPARE:
                raise ValueError("comparisons cannot be chained; use parentheses and &&")
        return node

    def sum_(self) -> Node:
        node = self.unary()
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            node = (op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return ("not", self.unary())
        if self.peek() == "-":
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return ("num", float(value))
        if kind == "id":
            self.ids.add(value)
            return ("id", value)
        if value == "(":
            node = self.or_()
            if self.peek() != ")":
                raise ValueError("a '(' is not closed")
            self.take()
            return node
        raise ValueError(f"unexpected {value!r}")


def parse_meta(source: str) -> MetaExpr:
    """Parse a meta expression; raise ``ValueError`` saying what is wrong.

    Operators: ``+ -`` (an id counts 1 when it fired), ``>= <= == != > <``, ``&& || !``,
    parentheses and numbers.

    Examples
    --------
    >>> m = parse_meta("(__MONEY + __URGENT + __LINK) >= 2")
    >>> sorted(m.ids), m.evaluate({"__MONEY", "__LINK"}), m.evaluate({"__LINK"})
    (['__LINK', '__MONEY', '__URGENT'], True, False)
    """
    if not isinstance(source, str):
        raise ValueError("a meta expression must be a string")
    parser = _Parser(source)
    tree = parser.parse()
    if not parser.ids:
        raise ValueError("the expression names no pattern id")
    return MetaExpr(source, frozenset(parser.ids), tree)
