"""Importing a FHIR R4 ``Questionnaire`` as a :class:`FormDefinition` (see :mod:`fhir` for the mapping).

The import runs in passes over a mutable copy of the item tree: read items
(:mod:`fhir_import_items`), refuse enableWhen cycles, turn calculated sums into
scores, type the enableWhen answers by their source items, then freeze and
check the definition. It either returns a complete, checked definition with
the list of what could not be kept, or raises :class:`FormImportError`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nurse_app.domain.forms.checks import check_definition
from nurse_app.domain.forms.definition import (
    CHOICE_TYPES,
    CriticalRule,
    EnableBehavior,
    EnableOperator,
    EnableWhen,
    FormDefinition,
    Item,
    LocalText,
    RuleOperator,
    ScoreBand,
    ScoreDefinition,
    ScoreItem,
    parse_item_type,
)
from nurse_app.domain.forms.fhir_common import (
    SCALE_CODE_SYSTEM,
    URL_CRITICAL_RULE,
    URL_SOURCE_VERSION,
    VARIABLE_URLS,
    FormImportError,
    ImportIssue,
    extensions,
    has_cjk,
    lang_side,
    read_text,
    sub,
    value_of,
)
from nurse_app.domain.forms.fhir_import_items import ItemReader, Node
from nurse_app.domain.forms.fhir_score_expr import ScoreExpressionReader, UnsupportedExpression
from nurse_app.domain.forms.fhir_valueset import ValueSets
from nurse_app.domain.model import AlertSeverity, PublicationStatus

STATUS_FROM_FHIR = {
    "draft": PublicationStatus.DRAFT,
    "active": PublicationStatus.PUBLISHED,
    "retired": PublicationStatus.RETIRED,
}
# Elements that say nothing about the form itself (ours or bookkeeping): read or ignored without a word.
_QUIET = frozenset(
    {"resourceType", "id", "meta", "text", "implicitRules", "language", "url", "identifier", "name"}
    | {"version", "title", "_title", "status", "subjectType", "date", "copyright", "contained", "extension"}
    | {"item"}
)
_CODE_LIKE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-]*")


@dataclass(frozen=True, slots=True)
class ImportResult:
    """A checked definition and everything of the file it could not hold.

    ``copyright`` is the Questionnaire's copyright statement; ``source_version``
    the original FHIR version string when it was not a plain whole number.
    """

    definition: FormDefinition
    issues: tuple[ImportIssue, ...] = ()
    copyright: str | None = None
    source_version: str | None = None


def _enum(cls: Any, raw: Any) -> Any:
    try:
        return cls(raw)
    except ValueError:
        return raw  # kept as is so the definition check names it with its item


def _load(data: Any) -> dict[str, Any]:
    if isinstance(data, (str, bytes, bytearray)):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise FormImportError(f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FormImportError(f"not a FHIR Questionnaire: the JSON is a {type(data).__name__}, not an object")
    kind = data.get("resourceType")
    if kind != "Questionnaire":
        raise FormImportError(f"not a FHIR Questionnaire: resourceType is {kind!r}")
    if isinstance(data.get("code"), str):
        raise FormImportError(
            "this is a scale in our own JSON format, not FHIR ('code' is a string); load it with from_dict"
        )
    return data


class _Importer:
    def __init__(self, data: dict[str, Any], lang: str) -> None:
        self.data = data
        self.lang = lang
        self.issues: list[ImportIssue] = []
        self.source_version: str | None = None

    def form_issue(self, what: str, why: str) -> None:
        self.issues.append(ImportIssue("", what, why))

    def run(self) -> ImportResult:
        data = self.data
        primary = lang_side(data.get("language")) or self._guess_language()
        if data.get("language") is not None and lang_side(data.get("language")) is None:
            side = "Chinese" if primary == "zh" else "English"
            self.form_issue(
                f"language {data.get('language')!r}",
                f"only Chinese and English are kept; texts read as {side}",
            )
        code = self._code()
        version = self._version()
        status = STATUS_FROM_FHIR.get(data.get("status"))  # type: ignore[arg-type]
        if status is None:
            self.form_issue(f"status {data.get('status')!r}", "imported as a draft")
            status = PublicationStatus.DRAFT
        title = read_text(data, "title", primary, self.form_issue)
        valuesets = ValueSets(data.get("contained"), self.issues)
        variables, rules = self._root_extensions()
        reader = ItemReader(valuesets, primary, self.issues)
        nodes = reader.read_all(data.get("item"), "", variables)
        _refuse_cycles(nodes)
        scores, score_ids = self._scores(nodes)
        nodes = self._without(nodes, score_ids)
        gone = reader.dropped | score_ids
        by_id = {n.link_id: n for n in _walk(nodes)}
        for node in _walk(nodes):
            self._conditions(node, by_id, gone)
        for system in sorted(valuesets.systems):
            self.form_issue(f"code system {system}", "answer codes are kept without their system")
        skipped = sorted(k for k in data if k not in _QUIET and not k.startswith("_"))
        if skipped:
            self.form_issue("metadata " + ", ".join(skipped), "not kept by the scale library")
        definition = FormDefinition(
            code=code,
            version=version,
            status=status,
            title=title,
            items=tuple(_freeze(n) for n in nodes),
            scores=tuple(scores),
            critical_rules=tuple(rules),
        )
        problems = check_definition(definition, self.lang)
        if problems:
            detail = "; ".join(f"[{p.link_id}] {p.message}" for p in problems)
            raise FormImportError(
                f"cannot import Questionnaire '{code}': {len(problems)} problem(s): {detail}",
                problems[0].link_id,
                [f"[{p.link_id}] {p.message}" for p in problems],
            )
        copyright_ = data.get("copyright")
        return ImportResult(
            definition,
            tuple(self.issues),
            copyright_ if isinstance(copyright_, str) else None,
            self.source_version,
        )

    def _guess_language(self) -> str:
        texts = [self.data.get("title")]
        stack = list(self.data.get("item") or [])
        while stack and len(texts) < 200:
            item = stack.pop()
            if isinstance(item, dict):
                texts.append(item.get("text"))
                stack.extend(item.get("item") or [])
        return "zh" if any(isinstance(t, str) and has_cjk(t) for t in texts) else "en"

    def _code(self) -> str:
        data = self.data
        for ident in data.get("identifier") or []:
            if isinstance(ident, dict) and ident.get("system") == SCALE_CODE_SYSTEM and ident.get("value"):
                return str(ident["value"])
        candidates = [("name", data.get("name")), ("id", data.get("id"))]
        url = data.get("url")
        if isinstance(url, str) and url.rstrip("/"):
            candidates.append(("url", url.rstrip("/").rsplit("/", 1)[-1]))
        for source, value in candidates:
            if isinstance(value, str) and _CODE_LIKE.fullmatch(value):
                self.form_issue("code", f"taken from Questionnaire.{source} '{value}'")
                return value
        raise FormImportError("the Questionnaire has no name, id or url to use as the scale code")

    def _version(self) -> int:
        raw = self.data.get("version")
        own = [value_of(e)[1] for e in extensions(self.data) if e.get("url") == URL_SOURCE_VERSION]
        if own and isinstance(own[0], str):
            self.source_version = own[0]
        if raw is None:
            return 1
        text = str(raw).strip()
        if text.isdigit() and int(text) >= 1:
            return int(text)
        major = re.match(r"\d+", text)
        version = int(major.group()) if major and int(major.group()) >= 1 else 1
        self.source_version = text
        self.form_issue(
            f"version '{text}'",
            f"not a whole number: imported as version {version}; the original is kept as sourceVersion",
        )
        return version

    def _root_extensions(self) -> tuple[dict[str, str], list[CriticalRule]]:
        variables: dict[str, str] = {}
        rules: list[CriticalRule] = []
        for ext in extensions(self.data):
            url = ext.get("url")
            suffix, value = value_of(ext)
            if url == URL_CRITICAL_RULE:
                rules.append(_rule(ext))
            elif url in VARIABLE_URLS and suffix == "Expression" and isinstance(value, dict):
                if isinstance(value.get("name"), str) and isinstance(value.get("expression"), str):
                    variables[value["name"]] = value["expression"]
            elif url != URL_SOURCE_VERSION:
                self.form_issue(f"extension {url}", "not supported; dropped")
        return variables, rules

    def _scores(self, nodes: list[Node]) -> tuple[list[ScoreDefinition], set[str]]:
        calculated = [n for n in _walk(nodes) if n.calculated is not None]
        exclude = frozenset(n.link_id for n in calculated)
        scores: list[ScoreDefinition] = []
        converted: set[str] = set()
        for node in calculated:
            reader = ScoreExpressionReader(nodes, node.scope, exclude)
            try:
                terms = reader.read(node.calculated or "")
            except UnsupportedExpression as exc:
                self.issues.append(
                    ImportIssue(
                        node.link_id,
                        f"calculatedExpression '{node.calculated}'",
                        f"{exc}; kept as a read-only item without the calculation",
                    )
                )
                node.fields["read_only"] = True
                continue
            name, bands = _score_ext(node)
            if node.raw_conditions:
                self.issues.append(ImportIssue(node.link_id, "enableWhen", "a score is always computed"))
            items = tuple(ScoreItem(t.link_id, t.weight) for t in terms)
            scores.append(ScoreDefinition(name, items, bands, node.fields.get("text", LocalText())))
            converted.add(node.link_id)
        return scores, converted

    def _without(self, nodes: list[Node], removed: set[str]) -> list[Node]:
        """``nodes`` without the score items; a group left empty by that goes too (reported)."""
        kept = []
        for node in nodes:
            if node.link_id in removed:
                continue
            had_children = bool(node.children)
            node.children = self._without(node.children, removed)
            if had_children and not node.children and node.type == "group":
                removed.add(node.link_id)
                self.issues.append(ImportIssue(node.link_id, "group", "held only scores; removed"))
                continue
            kept.append(node)
        return kept

    def _conditions(self, node: Node, by_id: dict[str, Node], gone: set[str]) -> None:
        conditions = []
        for raw in node.raw_conditions:
            question, op = raw.get("question"), raw.get("operator")
            if question in gone:
                self.issues.append(
                    ImportIssue(
                        node.link_id,
                        f"enableWhen on '{question}'",
                        "that item is not a question here; condition dropped, the item shows more often",
                    )
                )
                continue
            suffix, answer = value_of(raw, "answer")
            if not suffix:
                raise FormImportError(
                    f"enableWhen of item '{node.link_id}' has no answer value", node.link_id
                )
            source = by_id.get(question) if isinstance(question, str) else None
            if suffix == "Coding" and isinstance(answer, dict):
                answer = answer.get("code")
            elif suffix == "Quantity" and isinstance(answer, dict):
                answer = answer.get("value")
            elif suffix == "Reference":
                self.issues.append(ImportIssue(node.link_id, "enableWhen answerReference", "dropped"))
                continue
            elif source is not None and source.type in CHOICE_TYPES and op in ("=", "!="):
                answer = str(answer)  # integer/string options are kept as text codes
            conditions.append(EnableWhen(str(question), _enum(EnableOperator, op), answer))
        node.fields["enable_when"] = tuple(conditions)
        if "enable_behavior" in node.fields:
            node.fields["enable_behavior"] = _enum(EnableBehavior, node.fields["enable_behavior"])


def _walk(nodes: list[Node]) -> list[Node]:
    out: list[Node] = []
    for node in nodes:
        out.append(node)
        out.extend(_walk(node.children))
    return out


def _refuse_cycles(nodes: list[Node]) -> None:
    graph = {
        n.link_id: [c.get("question") for c in n.raw_conditions if isinstance(c.get("question"), str)]
        for n in _walk(nodes)
    }
    done: set[str] = set()
    for start in graph:
        path: list[str] = []
        stack: list[tuple[str, int]] = [(start, 0)]
        while stack:
            node, index = stack.pop()
            del path[index:]
            if node in path:
                cycle = " → ".join([*path[path.index(node) :], node])
                raise FormImportError(f"enableWhen of item '{node}' forms a cycle: {cycle}", node)
            if node in done or node not in graph:
                continue
            path.append(node)
            stack.extend((nxt, len(path)) for nxt in graph[node])
        done.add(start)


def _score_ext(node: Node) -> tuple[str, tuple[ScoreBand, ...]]:
    ext = node.score_ext
    if ext is None:
        return node.link_id, ()
    names = sub(ext, "name")
    bands = []
    for band in (e for e in extensions(ext) if e.get("url") == "band"):
        low, high = next(iter(sub(band, "min")), None), next(iter(sub(band, "max")), None)
        zh, en = next(iter(sub(band, "label")), ""), next(iter(sub(band, "label-en")), "")
        bands.append(ScoreBand(low, high, LocalText(zh or "", en or "")))  # type: ignore[arg-type]
    return (names[0] if names and isinstance(names[0], str) else node.link_id), tuple(bands)


def _threshold(ext: dict[str, Any]) -> Any:
    suffix, value = value_of(ext)
    if suffix == "Quantity" and isinstance(value, dict):
        return {k: value[k] for k in ("value", "unit") if k in value}
    return value


def _rule(ext: dict[str, Any]) -> CriticalRule:
    def first(url: str, default: Any = "") -> Any:
        values = sub(ext, url)
        return values[0] if values else default

    operator = _enum(RuleOperator, first("operator"))
    thresholds = [_threshold(e) for e in extensions(ext) if e.get("url") == "threshold"]
    threshold = tuple(thresholds) if operator == RuleOperator.IN else (thresholds[0] if thresholds else None)
    return CriticalRule(
        code=str(first("code")),
        target=str(first("target")),
        operator=operator,
        threshold=threshold,
        severity=_enum(AlertSeverity, first("severity", "critical")),
        message=LocalText(first("message"), first("message-en")),
    )


def _freeze(node: Node) -> Item:
    fields = dict(node.fields)
    fields["initial"] = tuple(fields.get("initial", ()))
    return Item(
        link_id=node.link_id,
        type=parse_item_type(node.type),
        items=tuple(_freeze(c) for c in node.children),
        **fields,
    )


def import_questionnaire(data: dict[str, Any] | str | bytes, *, lang: str = "en") -> ImportResult:
    """Import a FHIR R4 Questionnaire (a parsed dict, or JSON text) as a checked definition.

    Returns the definition with every element it could not hold listed in
    ``issues`` (linkId, what, why). Raises :class:`FormImportError` — nothing
    half-imported — for malformed JSON, a resource that is not a Questionnaire,
    an unknown item type, an enableWhen cycle, or a definition that fails the
    checks of :func:`check_definition` (messages in ``lang``).
    """
    return _Importer(_load(data), lang).run()
