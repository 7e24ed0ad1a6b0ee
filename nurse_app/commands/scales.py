"""``nurse-station scales``: list, show, import and export scales (量表).

Scales come from the bundled set (read-only) and the local scale library
folder ``data_home()/scales/`` (see :mod:`nurse_app.domain.forms.library`);
the encrypted cache is not opened. Imports are FHIR R4 Questionnaires (or
our own JSON format) and are stored as drafts unless ``--publish`` is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nurse_app.domain.forms.definition import FormDefinition, Item
    from nurse_app.domain.forms.library import ScaleEntry, ScaleLibrary

_LABELS = {
    "items": ("题目", "Items"),
    "scores": ("评分", "Scores"),
    "rules": ("危急值规则", "Critical rules"),
    "shown_when": ("显示条件", "shown when"),
    "any": ("任一", "any of"),
    "bands": ("分级", "bands"),
}


def add_scales_parser(commands: Any) -> None:
    """Register ``scales list|show|import|export`` on the CLI's sub-command set."""
    scales = commands.add_parser("scales", help="list, show, import and export scales (量表)")
    actions = scales.add_subparsers(dest="scales_command", required=True)
    listing = actions.add_parser("list", help="bundled and imported scales")
    listing.add_argument("--json", action="store_true", help="JSON output")
    show = actions.add_parser("show", help="a scale's items, scores and critical rules")
    show.add_argument("code")
    show.add_argument("--version", type=int, default=None, help="default: the highest version")
    show.add_argument("--lang", default="zh_CN", help="zh_CN (default) or en")
    imp = actions.add_parser("import", help="import a FHIR R4 Questionnaire (JSON) into the scale library")
    imp.add_argument("file", type=Path)
    imp.add_argument("--publish", action="store_true", help="publish it (default: keep it as a draft)")
    exp = actions.add_parser("export", help="export a scale as a FHIR R4 Questionnaire")
    exp.add_argument("code")
    exp.add_argument("--version", type=int, default=None, help="default: the highest version")
    exp.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    exp.add_argument("--format", choices=["fhir", "native"], default="fhir", help="native = our own JSON")


def library_folder() -> Path:
    """Where imported scales are kept: ``data_home()/scales``."""
    from nurse_app.paths import data_home

    return data_home() / "scales"


def run_scales(args: argparse.Namespace, cache_path: Path) -> int:
    """Run one ``scales`` action. ``cache_path`` is unused: scales live in files, not in the cache."""
    from nurse_app.domain.forms.library import ScaleLibrary

    library = ScaleLibrary(library_folder())
    action = {"list": _list, "show": _show, "import": _import, "export": _export}[args.scales_command]
    status = action(args, library)
    for problem in library.problems:
        print(f"nurse-station: warning: {problem}", file=sys.stderr)
    return status


def _list(args: argparse.Namespace, library: ScaleLibrary) -> int:
    entries = library.entries()
    if args.json:
        rows = [
            {
                "code": e.definition.code,
                "version": e.definition.version,
                "status": str(e.definition.status),
                "source": str(e.source),
                "title": {"zh_CN": e.definition.title.zh, "en": e.definition.title.en},
                "path": str(e.path),
            }
            for e in entries
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    width = max([len("code"), *(len(e.definition.code) for e in entries)])
    print(f"{'code':<{width}}  version  status     source   items  title")
    for e in entries:
        d = e.definition
        count = sum(1 for item, _ in d.walk() if item.is_question)
        columns = f"{d.code:<{width}}  {d.version:<7}  {d.status!s:<9}  {e.source!s:<7}  {count:<5}"
        print(f"{columns}  {d.title.get()}")
    return 0


def _label(key: str, lang: str) -> str:
    zh, en = _LABELS[key]
    return en if lang == "en" else zh


def _item_lines(item: Item, lang: str, depth: int) -> list[str]:
    flags = [str(item.type)] + [f for f, on in (("required", item.required), ("repeats", item.repeats)) if on]
    if item.unit:
        flags.append(item.unit)
    if item.min_value is not None or item.max_value is not None:
        low, high = (v if v is not None else "" for v in (item.min_value, item.max_value))
        flags.append(f"{low}–{high}")
    pad = "  " * depth
    lines = [f"{pad}[{', '.join(flags)}] {item.link_id}  {item.text.get(lang)}"]
    if item.enable_when:
        conds = ", ".join(f"{c.question} {c.operator} {c.answer}" for c in item.enable_when)
        prefix = (
            _label("any", lang) + " " if item.enable_behavior == "any" and len(item.enable_when) > 1 else ""
        )
        lines.append(f"{pad}    {_label('shown_when', lang)}: {prefix}{conds}")
    for opt in item.answer_options:
        score = f" ({opt.ordinal:g})" if opt.ordinal is not None else ""
        lines.append(f"{pad}    {opt.code} = {opt.display.get(lang)}{score}")
    for child in item.items:
        lines.extend(_item_lines(child, lang, depth + 1))
    return lines


def describe(entry: ScaleEntry, lang: str = "zh_CN") -> str:
    """The readable listing ``scales show`` prints."""
    from nurse_app.domain.forms.definition import normalize_lang

    lang = normalize_lang(lang)
    d: FormDefinition = entry.definition
    lines = [f"{d.code} v{d.version} ({d.status}, {entry.source}) — {d.title.get(lang)}"]
    if entry.copyright:
        lines.append(f"© {entry.copyright}")
    lines.append(f"{_label('items', lang)}:")
    for item in d.items:
        lines.extend(_item_lines(item, lang, 1))
    if d.scores:
        lines.append(f"{_label('scores', lang)}:")
        for score in d.scores:
            terms = " + ".join(
                f"{e.weight:g}×{e.link_id}" if e.weight != 1 else e.link_id for e in score.items
            )
            lines.append(f"  {score.name}  {score.title.get(lang)} = {terms}")
            if score.bands:
                bands = "; ".join(f"{b.min:g}–{b.max:g} {b.label.get(lang)}" for b in score.bands)
                lines.append(f"    {_label('bands', lang)}: {bands}")
    if d.critical_rules:
        lines.append(f"{_label('rules', lang)}:")
        for rule in d.critical_rules:
            threshold = list(rule.threshold) if isinstance(rule.threshold, tuple) else rule.threshold
            condition = f"{rule.target} {rule.operator} {threshold}"
            lines.append(f"  {rule.code} [{rule.severity}] {condition}: {rule.message.get(lang)}")
    return "\n".join(lines)


def _show(args: argparse.Namespace, library: ScaleLibrary) -> int:
    print(describe(library.get(args.code, args.version), args.lang))
    return 0


def _read_scale_file(path: Path) -> tuple[FormDefinition, list[str], str | None, str | None]:
    """(definition, issues, copyright, source_version) of a FHIR Questionnaire or one of our scale files."""
    from nurse_app.domain.forms.fhir import FormImportError, import_questionnaire
    from nurse_app.domain.forms.parse import from_dict

    try:
        text = path.read_bytes()
    except OSError as exc:
        raise FormImportError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise FormImportError(f"{path.name}: not valid JSON: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("code"), str):
        copyright_ = data.get("copyright")
        return from_dict(data, lang="en"), [], copyright_ if isinstance(copyright_, str) else None, None
    try:
        result = import_questionnaire(data)
    except FormImportError as exc:
        raise FormImportError(f"{path.name}: {exc}", exc.link_id, exc.problems) from None
    return result.definition, [str(i) for i in result.issues], result.copyright, result.source_version


def _import(args: argparse.Namespace, library: ScaleLibrary) -> int:
    from nurse_app.domain.forms.versioning import publish
    from nurse_app.domain.model import PublicationStatus

    definition, issues, copyright_, source_version = _read_scale_file(args.file)
    # An imported scale is reviewed before nurses use it, so it lands as a draft unless --publish.
    definition = dataclasses.replace(definition, status=PublicationStatus.DRAFT)
    if args.publish:
        definition = publish(definition)
    saved = library.save(definition, copyright=copyright_, source_version=source_version)
    verb = "imported" if saved.created else "already in the library:"
    print(f"{verb} {definition.code} v{definition.version} ({definition.status}) → {saved.entry.path}")
    if not args.publish:
        print("  kept as a draft; import again with --publish to use it for follow-ups")
    if issues:
        print(f"  {len(issues)} element(s) not kept:")
        for issue in issues:
            print(f"  ! {issue}")
    return 0


def _export(args: argparse.Namespace, library: ScaleLibrary) -> int:
    from nurse_app.domain.forms.fhir import export_questionnaire
    from nurse_app.domain.forms.serialize import to_dict

    entry = library.get(args.code, args.version)
    if args.format == "fhir":
        data = export_questionnaire(
            entry.definition, copyright=entry.copyright, source_version=entry.source_version
        )
    else:
        data = to_dict(entry.definition)
        if entry.copyright:
            data["copyright"] = entry.copyright
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if args.out is None:
        sys.stdout.write(text)
        return 0
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    d = entry.definition
    print(f"exported {d.code} v{d.version} ({args.format}) → {args.out}")
    return 0
