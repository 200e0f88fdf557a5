"""Record classes: what ``@dataclasses.dataclass`` gives us, at a fraction of its class-creation cost.

A pre-commit run lints one or two small files, and most of its time is start-up. Creating a class
with ``@dataclass`` compiles three to six generated methods (``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__``, ``__delattr__``): ~0.3 ms a class, ~20 ms for the ~60 classes a small
run imports -- a quarter of our start-up budget. ``@record`` compiles only ``__init__`` (instances are
created on hot paths, so it stays the straight-line code dataclasses would write) and shares one
implementation of the other methods among all classes, keyed by an ``operator.attrgetter`` made once
per class (C code, as fast to call as a generated method).

Supported, with dataclasses' semantics: fields from the class's own annotations in order, defaults,
``field(default=, default_factory=, init=, repr=, compare=)`` (this module's, same options), ``__post_init__``,
``frozen=True`` (``FrozenInstanceError`` on assignment, hashable by value), ``eq=False`` (identity
equality and hash), ``__match_args__``, and `replace`. Not supported (not used here; a class that needs
them uses ``@dataclass``): inheritance between records, ``ClassVar``/``InitVar`` fields, ``order``,
``slots``, ``kw_only``.
"""

from __future__ import annotations

from operator import attrgetter
from reprlib import recursive_repr
from typing import Any, Callable, TypeVar

T = TypeVar("T")

__all__ = ["FrozenInstanceError", "field", "record", "replace"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()  # "no default" (None is a default)


class FrozenInstanceError(AttributeError):
    """Assigning to (or deleting) a field of a frozen record, as dataclasses.FrozenInstanceError."""


class Field:
    """A field's declaration, as made by `field` (the subset of dataclasses.Field that records use;
    their own, so that importing dataclasses -- and copy -- is not part of every start-up)."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare


def field(*, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
          compare: bool = True) -> Any:
    """A field with options, as ``dataclasses.field`` (default, default_factory, init, repr, compare)."""
    return Field(default, default_factory, init, repr, compare)


def record(cls: type[T] | None = None, /, *, frozen: bool = False, eq: bool = True) -> Any:
    """Decorate a class as a record (see the module's docstring); ``@record``, ``@record(frozen=True)``."""

    def wrap(klass: type[T]) -> type[T]:
        return _make_record(klass, frozen, eq)

    return wrap if cls is None else wrap(cls)


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of a record (or a dataclass instance) with some fields changed, as ``dataclasses.replace``."""
    fields = getattr(type(obj), "__record_fields__", None)
    if fields is None:
        import dataclasses

        return dataclasses.replace(obj, **changes)
    unknown = set(changes) - {f.name for f in fields if f.init}
    if unknown:
        raise TypeError(f"{type(obj).__name__}: no init field named {sorted(unknown)[0]!r}")
    values = {f.name: getattr(obj, f.name) for f in fields if f.init and f.name not in changes}
    return type(obj)(**values, **changes)


def _fields(cls: type) -> tuple[Field, ...]:
    if any(hasattr(base, "__record_fields__") for base in cls.__mro__[1:]):
        raise TypeError(f"{cls.__name__}: records do not inherit from records")
    fields = []
    for name, annotation in cls.__dict__.get("__annotations__", {}).items():
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "")
        if text.startswith(("ClassVar", "typing.ClassVar", "InitVar", "dataclasses.InitVar")):
            raise TypeError(f"{cls.__name__}.{name}: ClassVar/InitVar fields are not supported by @record")
        value = cls.__dict__.get(name, MISSING)
        if type(value).__module__ == "dataclasses":
            raise TypeError(f"{cls.__name__}.{name}: use istiolint.record.field, not dataclasses.field")
        spec = value if isinstance(value, Field) else field(default=value)
        if spec.default is not MISSING and spec.default_factory is not MISSING:
            raise ValueError(f"{cls.__name__}.{name}: cannot specify both default and default_factory")
        if isinstance(spec.default, (list, dict, set)):
            raise ValueError(f"{cls.__name__}.{name}: mutable default {type(spec.default).__name__} "
                             "(use default_factory)")
        spec.name = name
        fields.append(spec)
        if isinstance(value, Field):
            if spec.default is MISSING:
                delattr(cls, name)  # no class attribute for a field without a plain default
            else:
                setattr(cls, name, spec.default)
    return tuple(fields)


def _make_record(cls: type[T], frozen: bool, eq: bool) -> type[T]:
    fields = _fields(cls)
    cls.__record_fields__ = fields  # type: ignore[attr-defined]
    cls.__init__ = _make_init(cls, fields, frozen)  # type: ignore[misc]
    cls.__match_args__ = tuple(f.name for f in fields if f.init)  # type: ignore[attr-defined]
    shown = [f.name for f in fields if f.repr]
    cls.__record_repr__ = _getter(shown)  # type: ignore[attr-defined]
    cls.__record_shown__ = tuple(shown)  # type: ignore[attr-defined]
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = _repr  # type: ignore[method-assign]
    if eq:
        cls.__record_key__ = _getter([f.name for f in fields if f.compare])  # type: ignore[attr-defined]
        if "__eq__" not in cls.__dict__:
            cls.__eq__ = _eq  # type: ignore[method-assign]
        if "__hash__" not in cls.__dict__:
            # As dataclasses: frozen and compared by value -> hashed by value; mutable -> unhashable.
            cls.__hash__ = _hash if frozen else None  # type: ignore[assignment]
    if frozen:
        cls.__setattr__ = _frozen_setattr  # type: ignore[method-assign]
        cls.__delattr__ = _frozen_delattr  # type: ignore[method-assign]
    return cls


def _make_init(cls: type, fields: tuple[Field, ...], frozen: bool) -> Callable[..., None]:
    namespace: dict[str, Any] = {"_MISSING": MISSING, "_set": object.__setattr__}
    params, body = [], []
    seen_default = False
    for spec in fields:
        name = spec.name
        if spec.default is not MISSING:
            namespace[f"_default_{name}"] = spec.default
        if spec.default_factory is not MISSING:
            namespace[f"_factory_{name}"] = spec.default_factory
        if spec.init:
            if spec.default is not MISSING:
                params.append(f"{name}=_default_{name}")
                seen_default = True
            elif spec.default_factory is not MISSING:
                params.append(f"{name}=_MISSING")
                seen_default = True
            elif seen_default:
                raise TypeError(f"{cls.__name__}: non-default argument {name!r} follows default argument")
            else:
                params.append(name)
            value = f"_factory_{name}() if {name} is _MISSING else {name}" \
                if spec.default_factory is not MISSING else name
        elif spec.default_factory is not MISSING:
            value = f"_factory_{name}()"
        elif spec.default is not MISSING:
            value = f"_default_{name}"
        else:
            continue  # init=False without a default: set by __post_init__, as with dataclasses
        body.append(f"_set(self, {name!r}, {value})" if frozen else f"self.{name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    source = f"def __init__(self, {', '.join(params)}):\n    " + ("\n    ".join(body) or "pass") + "\n"
    exec(source, namespace)  # noqa: S102 - our own generated code, as dataclasses does
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _getter(names: list[str]) -> Callable[[Any], tuple]:
    if not names:
        return lambda obj: ()
    if len(names) == 1:
        single = attrgetter(names[0])
        return lambda obj: (single(obj),)
    return attrgetter(*names)


@recursive_repr()  # a record that (indirectly) holds itself shows "..." there, as dataclasses do
def _repr(self: Any) -> str:
    values = type(self).__record_repr__(self)
    shown = ", ".join(f"{name}={value!r}" for name, value in zip(type(self).__record_shown__, values))
    return f"{type(self).__qualname__}({shown})"


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        key = self.__class__.__record_key__
        return key(self) == key(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self.__class__.__record_key__(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")
