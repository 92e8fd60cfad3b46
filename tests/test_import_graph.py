"""The shape of the house, read from the code's imports (issue 20).

No two packages (or top-level modules) of ``lms`` import each other, however indirectly, so
each can be read, tested and changed from the ones below it; features sit below the pages and
the entry points: nothing in a feature may import ``lms.dashboards``, ``lms.cli`` or
``lms.app``; the infrastructure (``lms.core``, then ``lms.web``) imports no feature at all.
Imports inside ``if TYPE_CHECKING:`` are for annotations only and do not count.
"""

from __future__ import annotations

import ast
import functools
from collections import defaultdict
from pathlib import Path

LMS = Path(__file__).resolve().parent.parent / "lms"
#: The layers above every feature: pages, entry points.
ABOVE_FEATURES = {"dashboards", "cli", "app", "demo", "synthetic", "__init__"}


def unit_of(path: Path) -> str:
    """The top-level package or module of lms a file belongs to (``accounts``, ``cli``)."""
    return path.relative_to(LMS).with_suffix("").parts[0]


def runtime_imports(tree: ast.Module) -> list[str]:
    """The lms modules a file imports when it runs (not those imported for typing only)."""
    typing_only = {id(node) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                   for node in ast.walk(block)}
    names = []
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [name for name in names if name.startswith("lms.")]


@functools.cache  # read once per run: the tests below only look at it
def import_graph() -> dict[str, set[tuple[str, str]]]:
    """For each unit, the units it imports, each with the file that does."""
    graph: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for path in sorted(LMS.rglob("*.py")):
        source = unit_of(path)
        for name in runtime_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = name.split(".")[1]
            if target != source:
                graph[source].add((target, str(path.relative_to(LMS.parent))))
    return graph


def test_no_feature_imports_the_pages_or_an_entry_point():
    wrong = sorted(f"{where} imports lms.{target}"
                   for source, edges in import_graph().items() if source not in ABOVE_FEATURES
                   for target, where in edges if target in ABOVE_FEATURES - {"__init__"})
    assert not wrong, wrong


def cycles(graph: dict[str, set[tuple[str, str]]]) -> list[list[str]]:
    """Every group of units that import one another (Tarjan's strongly connected
    components of more than one unit)."""
    targets = {unit: {target for target, _ in edges} for unit, edges in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(unit: str) -> None:
        index[unit] = low[unit] = len(index)
        stack.append(unit)
        for target in targets.get(unit, ()):
            if target not in index:
                visit(target)
                low[unit] = min(low[unit], low[target])
            elif target in stack:
                low[unit] = min(low[unit], index[target])
        if low[unit] == index[unit]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == unit:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for unit in sorted(targets):
        if unit not in index:
            visit(unit)
    return found


def test_no_two_packages_import_each_other():
    graph = import_graph()
    loops = cycles(graph)
    detail = {unit: sorted(where for target, where in graph[unit] if target in loop)
              for loop in loops for unit in loop}
    assert not loops, (loops, detail)


def test_a_loop_would_be_found():
    graph = {"a": {("b", "a.py")}, "b": {("c", "b.py")}, "c": {("a", "c.py")},
             "d": {("a", "d.py")}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_the_graph_sees_a_known_import():
    # The reader works: the app wires every feature's blueprints.
    assert ("accounts", "lms/app.py") in import_graph()["app"]


#: What each layer of infrastructure may import: the core nothing above itself, the web
#: layer the core.
INFRASTRUCTURE = {"core": {"core"}, "web": {"core", "web"}}


def test_the_infrastructure_imports_no_feature():
    wrong = sorted(f"{where} imports lms.{target}"
                   for source, allowed in INFRASTRUCTURE.items()
                   for target, where in import_graph().get(source, ())
                   if target not in allowed)
    assert not wrong, wrong
