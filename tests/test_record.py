"""`istiolint.record`: the same behaviour as dataclasses for what the project uses."""

from __future__ import annotations

import dataclasses
import pickle
from typing import ClassVar

import pytest

from istiolint.record import FrozenInstanceError, field, record, replace


def _pair(**options):
    """The same class twice: as a dataclass and as a record."""

    def body(decorate, field):
        @decorate(**options)
        class Item:
            name: str
            port: int = 80
            tags: list = field(default_factory=list)
            note: str = field(default="", repr=False, compare=False)
            cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

            def __post_init__(self) -> None:
                if self.port < 0:
                    raise ValueError("negative port")

        return Item

    return body(dataclasses.dataclass, dataclasses.field), body(record, field)


@pytest.mark.parametrize("options", [{}, {"frozen": True}, {"eq": False}])
def test_a_record_behaves_like_the_dataclass(options) -> None:
    data, rec = _pair(**options)
    for cls in (data, rec):
        a, b = cls("x"), cls("x", 80, [], note="other")
        assert (a.name, a.port, a.tags, a.note, a.cache) == ("x", 80, [], "", {})
        assert a.tags is not cls("x").tags  # a fresh default each time
        assert (a == b) is (options.get("eq", True))  # note is not compared
        assert (a == cls("y")) is False
        with pytest.raises(ValueError, match="negative port"):
            cls("x", -1)
        with pytest.raises(TypeError):
            cls()
        with pytest.raises(TypeError):
            cls("x", cache={})  # init=False
    assert repr(rec("x", 1, ["t"])).replace("test_record._pair.<locals>.body.<locals>.", "") == \
        repr(data("x", 1, ["t"])).replace("test_record._pair.<locals>.body.<locals>.", "")
    assert rec.__match_args__ == data.__match_args__ == ("name", "port", "tags", "note")
    assert (rec.__hash__ is None) == (data.__hash__ is None)
    assert rec.port == data.port == 80 and not hasattr(rec, "tags") and not hasattr(data, "tags")


def test_frozen_records_refuse_assignment_and_hash_by_value() -> None:
    @record(frozen=True)
    class Key:
        host: str
        port: int = 0

    key = Key("a", 1)
    with pytest.raises(FrozenInstanceError):
        key.host = "b"
    with pytest.raises(FrozenInstanceError):
        del key.port
    assert hash(key) == hash(Key("a", 1)) and {key: 1}[Key("a", 1)] == 1
    assert key != ("a", 1) and key != Key("a", 2)


def test_identity_equality_with_eq_false_and_unhashable_mutable_records() -> None:
    @record(eq=False)
    class Node:
        value: int

    @record
    class Box:
        value: int

    assert Node(1) != Node(1) and len({Node(1), Node(1)}) == 2
    with pytest.raises(TypeError):
        hash(Box(1))
    assert Box(1) == Box(1)


def test_replace_copies_with_changes_like_dataclasses() -> None:
    @record(frozen=True)
    class Options:
        paths: tuple = ()
        jobs: int = 1

    options = Options(("a",))
    assert replace(options, jobs=2) == Options(("a",), 2) and options.jobs == 1
    with pytest.raises(TypeError, match="no init field named 'nope'"):
        replace(options, nope=1)

    @dataclasses.dataclass
    class Plain:
        x: int

    assert replace(Plain(1), x=2) == Plain(2)  # dataclasses still work through it


def test_what_records_do_not_support_is_refused_loudly() -> None:
    with pytest.raises(TypeError, match="follows default"):
        @record
        class Wrong:
            a: int = 1
            b: int
    with pytest.raises(ValueError, match="mutable default"):
        @record
        class Mutable:
            a: list = []  # noqa: RUF012
    with pytest.raises(TypeError, match="record.field, not dataclasses.field"):
        @record
        class Mixed:
            a: list = dataclasses.field(default_factory=list)
    with pytest.raises(TypeError, match="ClassVar"):
        @record
        class WithClassVar:
            a: ClassVar[int] = 1

    @record
    class Base:
        a: int

    with pytest.raises(TypeError, match="do not inherit"):
        @record
        class Child(Base):
            b: int


@record(frozen=True)
class Picklable:
    a: int
    b: str = "x"


def test_a_record_holding_itself_has_a_finite_repr() -> None:
    @record(eq=False)
    class Node:
        children: list = field(default_factory=list)

    node = Node()
    node.children.append(node)
    assert repr(node).endswith("Node(children=[...])")


def test_records_pickle_for_the_worker_processes() -> None:
    assert pickle.loads(pickle.dumps(Picklable(1))) == Picklable(1)
