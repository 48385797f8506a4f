"""The examples in the modules' docstrings are part of their contract: they must hold."""

import doctest
import importlib
import pkgutil

import pytest

import assistant


def _modules():
    for info in pkgutil.walk_packages(assistant.__path__, "assistant."):
        yield info.name


@pytest.mark.parametrize("name", sorted(_modules()))
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} docstring example(s) of {name} fail"
