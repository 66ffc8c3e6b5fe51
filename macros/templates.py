"""Template safety: pages may call registered macros with literal arguments, and nothing else.

Stock mkdocs-macros renders a page as a full Jinja template, so a page could reach
Python internals (and from there the shell) during the build. Here every page is
parsed first and its syntax tree checked against an allow-list; only then is it
rendered, in Jinja's SandboxedEnvironment as a second wall, with the macros as
the only globals.
"""

from __future__ import annotations

from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, missing, new_context
from jinja2.sandbox import SandboxedEnvironment

from .data import CourseData
from .diagrams import MISFIT
from .errors import Problem, closest
from .library import DRAWINGS, MACROS, Macro, PageContext, current, valid_ids

KIND_WORDS = {
    "finding": "finding in docs/data/findings.yml",
    "source": "source in docs/data/sources.yml",
    "prompt": "prompt in docs/data/prompts.yml",
    "reflection": "reflection prompt in docs/data/prompts.yml",
    "discussion": "discussion prompt in docs/data/prompts.yml",
    "case": "case in docs/data/sources.yml",
    "study": "study in docs/data/sources.yml",
    "quote": "case with a quote in docs/data/sources.yml",
    "epilogue": "case with an epilogue in docs/data/sources.yml",
    "theme": "resource theme in docs/data/course.yml",
    "stage": "stage of the strategic triangle",
    "session": "session in docs/data/sessions.yml (none: this page's session)",
    "cycle": "finding in docs/data/findings.yml with 3 to 6 items, none with a group or a stage",
    "triangle": "finding in docs/data/findings.yml with three groups and items without a group",
}
# Which macro shows a record of each kind, for "'x' is a prompt, call reflection(...)" hints.
SHOWN_BY = {"finding": "finding", "source": "cite", "reflection": "reflection", "discussion": "discussion"}


def _environment() -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    env.globals = {}  # no range(), dict(), lipsum(), cycler(), joiner() or namespace()
    env.filters = {}
    env.tests = {}
    return env


ENVIRONMENT = _environment()


# Jinja's node names differ from the tags an author typed for these statements.
STATEMENT_TAGS = {
    "Assign": "set",
    "AssignBlock": "set",
    "CallBlock": "call",
    "FilterBlock": "filter",
    "ScopedEvalContextModifier": "autoescape",
    "EvalContextModifier": "autoescape",
    "ExprStmt": "do",
}


def _describe(node: nodes.Node) -> str:
    """Name a disallowed construct the way an author would recognise it."""
    if isinstance(node, nodes.Getattr):
        return f"attribute access `.{node.attr}`"
    if isinstance(node, (nodes.Getitem, nodes.Slice)):
        return "item access `[...]`"
    if isinstance(node, nodes.Filter):
        return f"the filter `| {node.name}`"
    if isinstance(node, nodes.Test):
        return f"the test `is {node.name}`"
    if isinstance(node, nodes.Name):
        return f"the name `{node.name}`"
    if isinstance(node, nodes.Const):
        return f"the value {node.value!r}"
    if isinstance(node, (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)):
        return "`{% " + type(node).__name__.lower().replace("fromimport", "from … import") + " %}`"
    if isinstance(node, nodes.Stmt):
        tag = STATEMENT_TAGS.get(type(node).__name__, type(node).__name__.lower())
        return "the statement `{% " + tag + " %}`"
    return f"an expression ({type(node).__name__})"


def _dunder(node: nodes.Node) -> str | None:
    """The first name or attribute starting with an underscore in node or anywhere under it."""
    for child in [node, *node.find_all((nodes.Name, nodes.Getattr))]:
        if not isinstance(child, (nodes.Name, nodes.Getattr)):
            continue
        name = child.name if isinstance(child, nodes.Name) else child.attr
        if name.startswith("_"):
            return name
    return None


class PageChecker:
    """Checks one page's template code against the allow-list and the data."""

    def __init__(self, data: CourseData, path: str, line_offset: int = 0) -> None:
        self.data = data
        self.path = path
        self.offset = line_offset
        self.problems: list[Problem] = []
        self.calls: list[tuple[Macro, list[Any], int]] = []
        # The tree check() returned, kept by whoever renders the page next (pages.check_source).
        self.tree: nodes.Template | None = None

    def problem(self, lineno: int, message: str, fix: str) -> None:
        self.problems.append(Problem(self.path, lineno + self.offset, message, fix))

    def check(self, source: str) -> nodes.Template | None:
        """Parse and check; returns the tree only if the page is safe to render."""
        try:
            tree = ENVIRONMENT.parse(source)
        except TemplateSyntaxError as error:
            self.problem(
                error.lineno or 1,
                f"the macro syntax is broken: {error.message}.",
                'a macro call looks like {{ finding("five-key-actions") }}: check the double braces, brackets and quotes on this line.'
                " To show braces as text, wrap them in {% raw %}…{% endraw %}.",
            )
            return None
        for node in tree.body:
            if isinstance(node, nodes.Output):
                for part in node.nodes:
                    if not isinstance(part, nodes.TemplateData):
                        self.check_expression(part)
            else:
                self.problem(
                    node.lineno,
                    f"{_describe(node)} is not allowed in a page.",
                    'pages may only call macros, like {{ reflection("your-top-challenge") }};'
                    " loops, conditions, includes and imports belong in macros/ (ask a maintainer).",
                )
        return tree if not self.problems else None

    def check_expression(self, node: nodes.Expr) -> None:
        dunder = _dunder(node)
        if dunder:
            self.problem(
                node.lineno,
                f"the name `{dunder}` is not allowed: names starting with an underscore reach Python internals.",
                "remove it; pages may only call macros with quoted ids.",
            )
            return
        if not isinstance(node, nodes.Call):
            self.problem(
                node.lineno, f"{_describe(node)} is not allowed inside {{{{ }}}}.", 'only a macro call may stand there, like {{ finding("five-key-actions") }}.'
            )
            return
        if not isinstance(node.node, nodes.Name):
            self.problem(
                node.lineno,
                f"{_describe(node.node)} is not allowed inside {{{{ }}}}.",
                'call a macro by its plain name, like {{ cite("entry-points-study") }}.',
            )
            return
        name = node.node.name
        spec = MACROS.get(name)
        if spec is None:
            self.problem(node.lineno, f"there is no macro called `{name}`.", closest(name, set(MACROS)) + " The macro reference lists them all.")
            return
        if node.dyn_args is not None or node.dyn_kwargs is not None:
            self.problem(node.lineno, f"`{name}` must be called with plain values, not `*` or `**`.", f"write it as {{{{ {spec.example} }}}}.")
            return
        args: list[Any] = []
        kwargs: dict[str, Any] = {}
        for arg in [*node.args, *(k.value for k in node.kwargs)]:
            if not isinstance(arg, nodes.Const) or not isinstance(arg.value, (str, int)) or isinstance(arg.value, bool):
                self.problem(
                    node.lineno,
                    f"`{name}` was given {_describe(arg)}; only a quoted id or a whole number may be passed.",
                    f"write it as {{{{ {spec.example} }}}}.",
                )
                return
        args = [a.value for a in node.args]  # type: ignore[attr-defined]
        kwargs = {k.key: k.value.value for k in node.kwargs}  # type: ignore[attr-defined]
        try:
            spec.signature.bind(*args, **kwargs)
        except TypeError:
            self.problem(node.lineno, f"`{name}` was called with the wrong arguments.", f"write it as {{{{ {spec.example} }}}}.")
            return
        if spec.takes is not None and (args or kwargs):
            value = args[0] if args else next(iter(kwargs.values()))
            self.check_id(node.lineno, spec, value)
        if spec.name in DRAWINGS:
            bound = spec.signature.bind(*args, **kwargs)
            bound.apply_defaults()
            self.check_drawing(node.lineno, spec, bound.arguments)
        self.calls.append((spec, args, node.lineno))

    def check_drawing(self, lineno: int, spec: Macro, arguments: dict[str, Any]) -> None:
        """A drawing macro's finding must fit its shape, and a stage asked of it must be one of its stages."""
        shape, fixed = DRAWINGS[spec.name]
        record_id = fixed or arguments.get("id")
        call = f"`{spec.name}({', '.join(f'{k}={v!r}' if k != 'id' else repr(v) for k, v in arguments.items() if v is not None)})`"
        record = self.data.findings.get(record_id) if isinstance(record_id, str) else None
        if record is None:
            if fixed is not None:
                self.problem(
                    lineno,
                    f"{call} draws the finding '{fixed}', which is not in docs/data/findings.yml.",
                    f'restore it, or draw another finding with {{{{ {shape}("...") }}}}.',
                )
            return
        file, line = self.data.where[record.id]
        misfit = MISFIT[shape](record)
        if misfit is not None:
            self.problem(
                lineno,
                f"{call}: the finding '{record.id}' ({file}:{line}) cannot be drawn as a {shape}: {misfit}.",
                f'show it as a list with {{{{ finding("{record.id}") }}}}, or change its items in {file} to fit the {shape}.',
            )
            return
        stage = arguments.get("stage")
        if spec.takes == "triangle" and stage is not None and stage not in record.stages:
            fix = f"use a whole number from {record.stages[0]} to {record.stages[-1]}." if record.stages else "leave out `stage=`: its items have no `stage:`."
            self.problem(lineno, f"{call} asks for a stage the finding '{record.id}' ({file}:{line}) does not have.", fix)

    def check_id(self, lineno: int, spec: Macro, value: Any) -> None:
        assert spec.takes is not None
        allowed = valid_ids(self.data, spec.takes)
        if spec.takes == "stage":
            if str(value) not in allowed:
                self.problem(
                    lineno,
                    f"`{spec.name}({value!r})` asks for a stage that does not exist.",
                    f"use a whole number from {min(allowed, default='1')} to {max(allowed, default='1')}.",
                )
            return
        if not isinstance(value, str):
            self.problem(lineno, f"`{spec.name}` needs a quoted id, not {value!r}.", f"write it as {{{{ {spec.example} }}}}.")
            return
        if value in allowed:
            return
        other = self.data.kind_of(value)
        if other == "prompt":
            other = self.data.prompts[value].kind
        if other is not None and other in SHOWN_BY:
            fix = f"'{value}' is a {other}; show it with {{{{ {SHOWN_BY[other]}(\"{value}\") }}}}."
        elif spec.takes == "reflection" and value in self.data.formerly:
            fix = f"'{value}' was renamed: write {{{{ reflection(\"{self.data.formerly[value]}\") }}}}."
        else:
            fix = closest(value, allowed)
        self.problem(lineno, f"`{spec.name}(\"{value}\")`: there is no {KIND_WORDS[spec.takes]} with the id '{value}'.", fix)


# Line breaks str.splitlines() knows and Jinja does not: where one appears, the two number lines differently.
_OTHER_LINE_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"


def tree_with_lines_emptied(tree: nodes.Template, source: str, edited: str) -> nodes.Template | None:
    """The tree of edited, made from tree (source's, as PageChecker.check() returned it) without parsing edited again.

    edited must be source with some whole lines emptied (as facilitator notes are left out), and each emptied line
    must be text wholly inside one of the tree's text parts: then emptying it changes no tag, no macro call and no
    line number, only that text. Otherwise None: edited must then be parsed and checked itself.
    """
    if any(mark in source or mark in edited for mark in _OTHER_LINE_BREAKS):
        return None
    old, new = source.splitlines(keepends=True), edited.splitlines(keepends=True)
    if len(old) != len(new):
        return None
    emptied: set[int] = set()
    for number, (before, after) in enumerate(zip(old, new, strict=True), start=1):
        if before != after:
            if after != "\n" or before.rstrip("\r\n") == before:
                return None  # not a whole line emptied
            emptied.add(number)
    body: list[nodes.Node] = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            return None
        parts: list[nodes.Expr] = []
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData) and emptied:
                lines = part.data.split("\n")
                # A line of the text wholly inside it: after its first line break and before its last.
                inside = [number for number in emptied if 1 <= number - part.lineno < len(lines) - 1]
                if inside:
                    for number in inside:
                        lines[number - part.lineno] = ""
                    emptied.difference_update(inside)
                    part = nodes.TemplateData("\n".join(lines), lineno=part.lineno)
            parts.append(part)
        body.append(nodes.Output(parts, lineno=node.lineno))
    return None if emptied else nodes.Template(body, lineno=tree.lineno)


def render_checked(tree: nodes.Template, context: PageContext) -> str:
    """Render a tree PageChecker.check() returned, in the sandbox, with the macros as the only names.

    A checked tree is text and macro calls with literal arguments, nothing else, so it is run here exactly as the
    code Jinja would compile from it runs (each call made through the sandbox's call gate, its result turned into
    text), without compiling a template for every page. Anything else in the tree is refused, not rendered.
    """
    names = new_context(ENVIRONMENT, None, {}, globals={name: spec.function for name, spec in MACROS.items()})
    token = current.set(context)
    try:
        return "".join(_output(part, names) for node in tree.body for part in _parts(node))
    finally:
        current.reset(token)


def _parts(node: nodes.Node) -> list[nodes.Expr]:
    if not isinstance(node, nodes.Output):
        raise SecurityError(f"{_describe(node)} is not a checked macro call")
    return node.nodes


def _output(part: nodes.Node, names: Context) -> str:
    """One part of a checked page as text: its own text, or what its macro call returns."""
    if isinstance(part, nodes.TemplateData):
        return part.data
    if (
        isinstance(part, nodes.Call)
        and isinstance(part.node, nodes.Name)
        and part.dyn_args is None
        and part.dyn_kwargs is None
        and all(isinstance(arg, nodes.Const) for arg in [*part.args, *(k.value for k in part.kwargs)])
    ):
        function = names.resolve_or_missing(part.node.name)
        if function is missing:
            function = ENVIRONMENT.undefined(name=part.node.name)
        args = [arg.value for arg in part.args]  # type: ignore[attr-defined]
        kwargs = {k.key: k.value.value for k in part.kwargs}  # type: ignore[attr-defined]
        return str(ENVIRONMENT.call(names, function, *args, **kwargs))
    raise SecurityError(f"{_describe(part)} is not a checked macro call")
