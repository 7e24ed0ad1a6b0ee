"""A tokenizer and parser for the FHIRPath subset found in scoring expressions.

Only the syntax is handled here (see :mod:`fhir_score_expr` for what the
expressions mean). The grammar follows the FHIRPath precedence table, so a
whole ``calculatedExpression`` parses even when parts of it are later found
unsupported: the importer can then say *which* part it could not represent.
Nodes are plain tuples — ``("num", 2)``, ``("str", "q1")``, ``("var", "a")``,
``("ident", "item")``, ``("this",)``, ``("empty",)``, ``("bool", True)``,
``("member", target, name)``, ``("call", target | None, name, args)``,
``("index", target, index)``, ``("bin", op, left, right)``, ``("neg", node)``.
"""

from __future__ import annotations

import re
from typing import Any

Node = tuple[Any, ...]


class FhirPathSyntaxError(ValueError):
    """The expression is not FHIRPath this parser can read."""


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|//[^\n]*|/\*.*?\*/)
  | (?P<num>\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<var>%(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]*`|'(?:[^'\\]|\\.)*'))
  | (?P<this>\$this|\$index|\$total)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*|`[^`]*`)
  | (?P<op><=|>=|!=|!~|[-+*/=<>~|&(),.{}\[\]])
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"'": "'", '"': '"', "`": "`", "\\": "\\", "/": "/", "n": "\n", "t": "\t", "r": "\r", "f": "\f"}


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt == "u" and i + 5 < len(body):
                out.append(chr(int(body[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def tokenize(text: str) -> list[tuple[str, Any]]:
    """``(kind, value)`` tokens of ``text``; raises :class:`FhirPathSyntaxError` on a stray character."""
    tokens: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise FhirPathSyntaxError(f"unexpected character {text[pos]!r} at {pos}")
        pos = match.end()
        kind = match.lastgroup or ""
        raw = match.group()
        if kind == "ws":
            continue
        if kind == "num":
            tokens.append(("num", float(raw) if "." in raw else int(raw)))
        elif kind == "str":
            tokens.append(("str", _unescape(raw[1:-1])))
        elif kind == "var":
            name = raw[1:]
            tokens.append(("var", _unescape(name[1:-1]) if name[0] in "`'" else name))
        elif kind == "ident":
            tokens.append(("ident", raw[1:-1] if raw.startswith("`") else raw))
        else:
            tokens.append((kind, raw))
    return tokens


# Binary operators by precedence level, loosest first (FHIRPath spec §6, "Operator precedence").
_LEVELS: tuple[frozenset[str], ...] = (
    frozenset({"implies"}),
    frozenset({"or", "xor"}),
    frozenset({"and"}),
    frozenset({"in", "contains"}),
    frozenset({"=", "!=", "~", "!~"}),
    frozenset({"<", ">", "<=", ">="}),
    frozenset({"|"}),
    frozenset({"+", "-", "&"}),
    frozenset({"*", "/", "div", "mod"}),
)
_WORD_OPERATORS = frozenset({"implies", "or", "xor", "and", "in", "contains", "div", "mod"})


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, Any]:
        token = self.peek()
        if token is None:
            raise FhirPathSyntaxError("unexpected end of expression")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        kind, got = self.take()
        if got != value or kind not in ("op", "ident"):
            raise FhirPathSyntaxError(f"expected '{value}', found '{got}'")

    def at_operator(self, level: frozenset[str]) -> str | None:
        token = self.peek()
        if token is None:
            return None
        kind, value = token
        if kind == "op" and value in level:
            return value
        if kind == "ident" and value in level and value in _WORD_OPERATORS:
            return value
        return None

    def expression(self, level: int = 0) -> Node:
        if level == len(_LEVELS):
            return self.unary()
        left = self.expression(level + 1)
        while (op := self.at_operator(_LEVELS[level])) is not None:
            self.pos += 1
            right = self.expression(level + 1)
            left = ("bin", op, left, right)
        return left

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token[0] == "op" and token[1] in "+-" and len(token[1]) == 1:
            self.pos += 1
            inner = self.unary()
            return ("neg", inner) if token[1] == "-" else inner
        return self.postfix(self.primary())

    def arguments(self) -> list[Node]:
        args: list[Node] = []
        token = self.peek()
        if token is not None and token == ("op", ")"):
            self.pos += 1
            return args
        while True:
            args.append(self.expression())
            _kind, value = self.take()
            if value == ")":
                return args
            if value != ",":
                raise FhirPathSyntaxError(f"expected ',' or ')', found '{value}'")

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "num":
            return ("num", value)
        if kind == "str":
            return ("str", value)
        if kind == "var":
            return ("var", value)
        if kind == "this":
            return ("this",)
        if kind == "op" and value == "(":
            inner = self.expression()
            self.expect(")")
            return inner
        if kind == "op" and value == "{":
            self.expect("}")
            return ("empty",)
        if kind == "ident":
            if value in ("true", "false"):
                return ("bool", value == "true")
            nxt = self.peek()
            if nxt == ("op", "("):
                self.pos += 1
                return ("call", None, value, self.arguments())
            return ("ident", value)
        raise FhirPathSyntaxError(f"unexpected '{value}'")

    def postfix(self, node: Node) -> Node:
        while True:
            token = self.peek()
            if token == ("op", "."):
                self.pos += 1
                kind, name = self.take()
                if kind != "ident":
                    raise FhirPathSyntaxError(f"expected a name after '.', found '{name}'")
                if self.peek() == ("op", "("):
                    self.pos += 1
                    node = ("call", node, name, self.arguments())
                else:
                    node = ("member", node, name)
            elif token == ("op", "["):
                self.pos += 1
                index = self.expression()
                self.expect("]")
                node = ("index", node, index)
            else:
                return node


def parse(text: str) -> Node:
    """The syntax tree of the FHIRPath ``text`` (raises :class:`FhirPathSyntaxError`)."""
    if not isinstance(text, str) or not text.strip():
        raise FhirPathSyntaxError("empty expression")
    parser = _Parser(tokenize(text))
    node = parser.expression()
    if parser.peek() is not None:
        raise FhirPathSyntaxError(f"unexpected '{parser.peek()[1]}' after a complete expression")  # type: ignore[index]
    return node


def quote(text: str) -> str:
    """``text`` as a FHIRPath string literal."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
