"""Python source compared as code: two versions that differ only in comments, docstrings and
layout run the same, so neither a program nor the catalogue changes with them."""

from __future__ import annotations

import ast


def without_docstrings(source: str) -> ast.Module:
    """The module's syntax tree without its bare strings (module, class, function and attribute
    docstrings); comments and layout are not in a syntax tree at all."""
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            code = [s for s in node.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
            node.body = code or ([] if isinstance(node, ast.Module) else [ast.Pass()])
    return tree


def same_code(before: str | None, after: str | None) -> bool:
    """Whether two versions of a Python file differ in comments, docstrings or layout only (a file
    added, removed or not parsable counts as changed)."""
    if before is None or after is None:
        return False
    try:
        return ast.dump(without_docstrings(before)) == ast.dump(without_docstrings(after))
    except SyntaxError:
        return False
