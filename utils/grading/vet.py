"""Vet an answer cell before the grader rebuilds its model: an AST allowlist.

The grader judges a question by running the student's answer cell again, alone,
after the instructor's set-up cells, in a fresh sandboxed process (the judge,
``judge.py``). That verdict can only be trusted if the answer cannot change how
Keras describes a model, nor reach the channel the judge reports on. So the
answer may build a model in any style (Sequential, ``.add()`` loops, the
functional API, helper functions, comprehensions, ``tf.keras``), but not:

- import anything beyond ``keras``, ``tensorflow`` and ``numpy`` itself (not its
  submodules); NumPy's module may only be used as ``np.<name>`` for a name in
  ``NUMPY_NAMES`` (array maths, no files, memory views or ``np.lib``), so that it
  cannot be passed around or aliased;
- assign to an attribute, or to an item of anything it did not create itself;
- touch a name or attribute that starts with an underscore (``__class__``,
  ``_layers``), frame and code objects, or builtins beyond a few pure ones
  (no ``exec``, ``eval``, ``open``, ``getattr``, ``setattr``, ``type``, ``vars``);
- call APIs that read or write files or registries (``tf.io``, ``save``,
  ``register_keras_serializable``, ``tofile``, ``to_csv``, ...);
- use ``while``, ``class``, ``try``, ``with``, ``global``, ``async``, ``yield``.

Anything else is refused with a reason, and the question goes to the instructor
for manual review. Training calls (``model.fit(...)``, ``.summary()``, ...) on
their own line are legal but change no architecture, so the judge skips them.
"""

from __future__ import annotations

import ast
import builtins
import re

IMPORTABLE = ("keras", "tensorflow", "numpy")
NUMPY_ALIASES = frozenset({"np", "numpy"})  # the set-up's ``import numpy as np``, and numpy itself
# What an answer may take from NumPy's module: array maths and dtypes, nothing that
# reads or writes files, views raw memory or reaches np.lib / np.ctypeslib.
NUMPY_NAMES = frozenset({
    "abs", "absolute", "add", "all", "allclose", "amax", "amin", "any", "arange", "argmax", "argmin",
    "array", "asarray", "average", "bool_", "broadcast_to", "ceil", "clip", "concatenate", "copy",
    "count_nonzero", "cumsum", "divide", "dot", "e", "einsum", "equal", "exp", "expand_dims", "float16",
    "float32", "float64", "floor", "full", "full_like", "greater", "greater_equal", "inf", "int32",
    "int64", "isclose", "isfinite", "less", "less_equal", "linspace", "log", "logical_and",
    "logical_not", "logical_or", "matmul", "max", "maximum", "mean", "min", "minimum", "multiply",
    "nan", "ndim", "newaxis", "not_equal", "ones", "ones_like", "pi", "power", "prod", "reshape",
    "round", "shape", "sign", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum",
    "transpose", "var", "where", "zeros", "zeros_like",
})
PURE_BUILTINS = frozenset({
    "abs", "all", "any", "bool", "dict", "enumerate", "float", "int", "isinstance", "len", "list",
    "map", "max", "min", "print", "range", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "True", "False", "None",
})
FORBIDDEN_BUILTINS = frozenset(dir(builtins)) - PURE_BUILTINS
# Attributes that read or write files, registries or global state, or reach internals.
FORBIDDEN_ATTRIBUTES = frozenset({
    "io", "gfile", "raw_ops", "compat", "debugging", "profiler", "saved_model", "lite", "data",
    "experimental", "sysconfig", "load_library", "load_op_library", "py_function", "numpy_function",
    "save", "save_model", "save_weights", "save_own_variables", "load", "load_model", "load_weights",
    "load_own_variables", "export", "plot_model", "model_to_dot", "get_file", "write", "Checkpoint",
    "CheckpointManager", "register_keras_serializable", "get_custom_objects", "custom_object_scope",
    "CustomObjectScope", "enable_unsafe_deserialization", "src", "tofile", "dump", "dumps",
    "config", "distribute", "set_backend", "environ", "system", "popen",
    # NumPy: raw memory, files, strides
    "ctypes", "ctypeslib", "lib", "stride_tricks", "as_strided", "frombuffer", "fromfile", "memmap",
    "savetxt", "loadtxt", "genfromtxt", "savez", "savez_compressed", "fromregex", "DataSource",
    "from_dlpack", "setflags", "base", "testing", "f2py", "cffi", "capsule",  # (rng.bit_generator.cffi)
})
FRAME_ATTRIBUTE = re.compile(r"^(gi|cr|ag|f|tb|co)_")
# A statement that only calls one of these changes no architecture: the judge skips it.
SKIPPED_CALLS = frozenset({"fit", "evaluate", "predict", "summary", "train_on_batch", "test_on_batch",
                           "predict_on_batch", "plot", "show"})

ALLOWED_NODES = (
    ast.Module, ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.For, ast.If, ast.IfExp,
    ast.FunctionDef, ast.Return, ast.Pass, ast.Break, ast.Continue, ast.Lambda, ast.arguments, ast.arg,
    ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp, ast.comprehension,
    ast.Call, ast.keyword, ast.Attribute, ast.Name, ast.Load, ast.Store, ast.Constant,
    ast.List, ast.Tuple, ast.Dict, ast.Set, ast.Subscript, ast.Slice, ast.Starred,
    ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare, ast.operator, ast.unaryop, ast.boolop, ast.cmpop,
    ast.JoinedStr, ast.FormattedValue, ast.Import, ast.ImportFrom, ast.alias,
)
_WORDS = {ast.While: "a while loop", ast.ClassDef: "a class definition", ast.Try: "a try block",
          ast.With: "a with block", ast.Global: "a global statement", ast.Nonlocal: "a nonlocal statement",
          ast.Delete: "a del statement", ast.Raise: "a raise statement", ast.Assert: "an assert",
          ast.NamedExpr: "the := operator", ast.Yield: "yield", ast.Await: "await",
          ast.AsyncFunctionDef: "an async function"}


class Refused(ValueError):
    """The answer cell uses something the grader will not run unsupervised."""


def _line(node) -> str:
    return f" (line {node.lineno})" if hasattr(node, "lineno") else ""


def _bound_names(tree: ast.AST) -> set[str]:
    """Every name the cell itself binds (assignments, loops, functions, imports)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.Lambda)):
            if isinstance(node, ast.FunctionDef):
                names.add(node.name)
            names.update(a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs])
            names.update(a.arg for a in (node.args.vararg, node.args.kwarg) if a is not None)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
    return names


def _numpy_names(tree: ast.AST) -> set[str]:
    """The names NumPy's module goes by in the cell: np, numpy, and ``import numpy as x``."""
    names = set(NUMPY_ALIASES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.asname or a.name for a in node.names if a.name == "numpy")
    return names


def _check_numpy(tree: ast.AST) -> None:
    """NumPy's module only as ``np.<a name of NUMPY_NAMES>``: never alone (no aliasing,
    no passing it around), never a submodule."""
    numpy = _numpy_names(tree)
    bases = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in numpy:
            if node.attr not in NUMPY_NAMES:
                raise Refused(f"it uses {node.value.id}.{node.attr}{_line(node)}; from NumPy an answer may use "
                              "array maths only")
        elif isinstance(node, ast.Name) and node.id in numpy and id(node) not in bases \
                and isinstance(node.ctx, ast.Load):
            raise Refused(f"it uses NumPy's module as a value ({node.id}){_line(node)}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("numpy."):
                    raise Refused(f"it imports {alias.name}{_line(node)}")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "numpy":
            if node.module != "numpy" or any(a.name not in NUMPY_NAMES for a in node.names):
                raise Refused(f"it imports from {node.module}{_line(node)} what an answer may not use")


def _check_node(node: ast.AST, own: set[str]) -> None:
    if not isinstance(node, ALLOWED_NODES):
        words = next((w for kind, w in _WORDS.items() if isinstance(node, kind)), type(node).__name__)
        raise Refused(f"it uses {words}{_line(node)}")
    if isinstance(node, ast.Name):
        if node.id.startswith("__"):
            raise Refused(f"it uses the name {node.id}{_line(node)}")
        if node.id in FORBIDDEN_BUILTINS and node.id not in own:
            raise Refused(f"it uses the built-in {node.id}(){_line(node)}")
    elif isinstance(node, ast.Attribute):
        if node.attr.startswith("_") or FRAME_ATTRIBUTE.match(node.attr) or node.attr in FORBIDDEN_ATTRIBUTES:
            raise Refused(f"it uses the attribute .{node.attr}{_line(node)}")
        if isinstance(node.ctx, ast.Store):
            raise Refused(f"it assigns to the attribute .{node.attr}{_line(node)}")
    elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Store):
        if not (isinstance(node.value, ast.Name) and node.value.id in own):
            raise Refused(f"it assigns into something it did not create{_line(node)}")
    elif isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] not in IMPORTABLE:
                raise Refused(f"it imports {alias.name}{_line(node)}; only keras, tensorflow and numpy "
                              "may be imported")
    elif isinstance(node, ast.ImportFrom):
        if node.level or (node.module or "").split(".")[0] not in IMPORTABLE:
            raise Refused(f"it imports from {node.module or '.'}{_line(node)}; "
                          "only keras, tensorflow and numpy may be imported")
        if any(a.name == "*" for a in node.names):
            raise Refused(f"it uses import *{_line(node)}")
        for alias in node.names:
            if alias.name.startswith("_") or alias.name in FORBIDDEN_ATTRIBUTES:
                raise Refused(f"it imports {alias.name}{_line(node)}")
    elif isinstance(node, ast.FunctionDef) and node.decorator_list:
        raise Refused(f"it uses a decorator{_line(node)}")
    elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "__" in node.value \
            and len(node.value) > 4:
        raise Refused(f"it uses a string with double underscores{_line(node)}")


def _skipped(statement: ast.stmt) -> bool:
    """``model.fit(...)`` and friends alone on a line."""
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Call)
            and isinstance(statement.value.func, ast.Attribute) and statement.value.func.attr in SKIPPED_CALLS)


def vet(source: str) -> ast.Module:
    """The cell's code, ready for the judge (training calls removed); raises Refused."""
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        raise Refused(f"it is not valid Python (line {err.lineno}: {err.msg})") from None
    own = _bound_names(tree)
    for node in ast.walk(tree):
        _check_node(node, own)
    _check_numpy(tree)
    tree.body = [s for s in tree.body if not _skipped(s)]
    return tree
