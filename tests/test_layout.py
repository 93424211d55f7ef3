"""The package layout holds the rules of docs/architecture.md.

Read from the source with :mod:`ast`, nothing imported: imports run downward only
(experiments -> design -> acoustics), there are no import cycles between modules, no private name
(``_name``) is imported from another module, plot modules are imported only by plot modules (and
the experiments layer), every sub-package re-exports its public names with ``__all__``, and no
module is over 800 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("acoustics", "design", "experiments")
#: The longest a module may be (docs/architecture.md).
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    out = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            out[_module_name(path)] = path
    return out


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """Return the module ``name`` denotes (a module, or a package's ``__init__``), if ours."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _packages_entered(module: str, target: str) -> list[str]:
    """Return the packages whose ``__init__`` importing ``target`` runs (not ``module``'s own)."""
    parts = target.split(".")
    own = module.split(".")
    return [
        ".".join(parts[:i])
        for i in range(2, len(parts))
        if ".".join(parts[:i]) in MODULES and parts[:i] != own[:i]
    ]


def _imports(module: str) -> list[tuple[str, str | None, int]]:
    """Return ``(imported module, imported name or None, line)`` for every import of ours.

    Importing ``a.b.c`` runs ``a.b``'s ``__init__`` first; that counts as an import of ``a.b``
    unless ``module`` is inside ``a.b`` itself.
    """
    path = MODULES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    out.append((target, None, node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")
                parent = parent if is_package else parent[:-1]
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # `from package import module`
                    out.append((full, None, node.lineno))
                else:
                    target = _resolve(base)
                    if target:
                        out.append((target, alias.name, node.lineno))
    out += [(p, None, line) for t, _, line in list(out) for p in _packages_entered(module, t)]
    return out


IMPORTS = {m: _imports(m) for m in MODULES}


def _is_plot(module: str) -> bool:
    return ".plot" in f".{module}" and module.split(".")[1:2] == ["plot"]


def test_modules_are_found():
    assert "acoustics.geometry" in MODULES and "design.chain" in MODULES
    assert len(MODULES) > 60


def test_imports_run_downward_between_top_level_packages():
    rank = {p: i for i, p in enumerate(PACKAGES)}
    bad = [
        f"{m}:{line} imports {t}"
        for m, imports in IMPORTS.items()
        for t, _, line in imports
        if rank[t.split(".")[0]] > rank[m.split(".")[0]]
    ]
    assert bad == []


def test_no_import_cycles():
    graph = {m: {t for t, _, _ in imports if t != m} for m, imports in IMPORTS.items()}
    # A package's __init__ re-exports its modules; an edge into a package means its __init__.
    state: dict[str, int] = {}
    cycles = []

    def visit(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t) :] + [t])
            elif t not in state:
                visit(t, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m, [])
    # A package __init__ importing its own modules is the re-export, not a cycle, as long as no
    # module of the package imports the package itself back.
    assert cycles == []


def test_no_private_name_is_imported_from_another_module():
    bad = [
        f"{m}:{line} imports {name} from {t}"
        for m, imports in IMPORTS.items()
        for t, name, line in imports
        if name is not None and name.startswith("_") and not name.startswith("__") and t != m
    ]
    assert bad == []


def test_no_private_module_is_imported_from_another_package():
    bad = []
    for m, imports in IMPORTS.items():
        for t, _, line in imports:
            leaf = t.rsplit(".", 1)[-1]
            if leaf.startswith("_") and leaf != "__init__":
                if t.rsplit(".", 1)[0] != m.rsplit(".", 1)[0]:
                    bad.append(f"{m}:{line} imports the private module {t}")
    assert bad == []


def test_compute_never_imports_plot():
    bad = [
        f"{m}:{line} imports {t}"
        for m, imports in IMPORTS.items()
        if not _is_plot(m) and not m.startswith("experiments")
        for t, _, line in imports
        if _is_plot(t)
    ]
    assert bad == []


@pytest.mark.parametrize(
    "package", sorted(m for m, p in MODULES.items() if p.name == "__init__.py" and "." in m)
)
def test_sub_packages_re_export_with_all(package):
    if package.startswith("experiments"):
        pytest.skip("experiments holds scripts and figure reproductions, not a library API")
    tree = ast.parse(MODULES[package].read_text())
    names = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert names, f"{package}/__init__.py has no __all__"
    exported = ast.literal_eval(names[0])
    imported = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
    }
    assert sorted(set(exported) - imported) == []


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_is_over_800_lines(module):
    n = len(MODULES[module].read_text().splitlines())
    assert n <= MAX_LINES, f"{module} has {n} lines"


def test_tests_mirror_the_packages():
    """Every test directory under tests/ names a package or sub-package that exists."""
    for directory in sorted(p for p in (ROOT / "tests").rglob("*") if p.is_dir()):
        if directory.name.startswith((".", "__")):
            continue
        module = ".".join(directory.relative_to(ROOT / "tests").parts)
        assert (ROOT / module.replace(".", "/") / "__init__.py").exists(), directory
