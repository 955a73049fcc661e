"""The functions published weightings are written with parse to the intended SymPy
expressions, under the same whitelist; a wrong call names the function."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import derive
from derive.parsing import FUNCTIONS
from numeric.cli import main

x = sp.Symbol("lam", real=True)
VOCABULARY = {"lam": x}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sigmoid(lam)", 1 / (1 + sp.exp(-x))),
        ("softplus(lam)", sp.log(1 + sp.exp(x))),
        ("logit(sigmoid(lam))", sp.log((1 / (1 + sp.exp(-x))) / (1 - 1 / (1 + sp.exp(-x))))),
        ("clip(lam, -1, 2)", sp.Min(sp.Max(x, -1), 2)),
        ("min(lam, 5) + max(lam, 0)", sp.Min(x, 5) + sp.Max(x, 0)),
        ("sech(lam)**2", sp.sech(x) ** 2),
        ("erf(lam/2) + erfc(lam)", sp.erf(x / 2) + sp.erfc(x)),
        ("coth(lam) + csch(lam) + asinh(lam) + atanh(lam/9)",
         sp.coth(x) + sp.csch(x) + sp.asinh(x) + sp.atanh(x / 9)),
    ],
)
def test_functions_parse_to_their_definitions(text, expected) -> None:
    assert sp.simplify(derive.parse_expression(text, VOCABULARY) - expected) == 0


def test_logit_inverts_sigmoid_numerically() -> None:
    expr = derive.parse_expression("logit(sigmoid(lam))", VOCABULARY)
    values = sp.lambdify(x, expr, "numpy")(np.linspace(-5, 5, 11))
    np.testing.assert_allclose(values, np.linspace(-5, 5, 11), atol=1e-12)


@pytest.mark.parametrize(("text", "named"), [("clip(lam, 1)", "clip(x, lo, hi) takes 3"),
                                             ("sigmoid(lam, 2)", "sigmoid(x) takes 1"),
                                             ("softplus()", "softplus(x) takes 1")])
def test_a_wrong_number_of_arguments_names_the_function(text, named) -> None:
    with pytest.raises(derive.InvalidArgumentError, match=named.replace("(", r"\(")
                       .replace(")", r"\)")):
        derive.parse_expression(text, VOCABULARY)


def test_budgets_and_reality_still_apply() -> None:
    with pytest.raises(derive.InvalidArgumentError, match="complex"):
        derive.parse_expression("logit(2)", VOCABULARY)
    with pytest.raises(derive.InvalidArgumentError, match="nested"):
        derive.parse_expression("sigmoid(" * 70 + "lam" + ")" * 70, VOCABULARY)


def test_help_texts_list_every_function() -> None:
    import contextlib
    import io

    listed = set(FUNCTIONS) - {"Abs", "Min", "Max", "Rational"}
    for argv in (["check", "--help"], ["weighting", "check", "--help"]):
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            main(argv)
        text = " ".join(out.getvalue().split())
        assert all(name in text for name in listed), (argv, listed - set(text.split()))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    assert all(f"`{name}" in readme for name in listed)


def test_weighting_check_reads_a_published_weighting_written_with_them(capsys) -> None:
    # Min-SNR-5 (Hang et al. 2023) in eps space, written with clip as in training code
    assert main(["weighting", "check", "clip(snr, 0, 5)/snr", "--space", "eps",
                 "--schedule", "vp-cosine", "--as", "min-snr:5"]) == 0
    # Kingma & Gao's sigmoid weighting, as a density form
    assert main(["weighting", "check", "sigmoid(2 - lam)", "--space", "lambda",
                 "--schedule", "edm", "--as", "sigmoid:2"]) == 0
    assert main(["weighting", "check", "sigmoid(lam - 2)", "--space", "lambda",
                 "--schedule", "edm", "--as", "sigmoid:2"]) == 1
    assert main(["weighting", "check", "clip(snr, 1)", "--space", "eps", "--schedule",
                 "vp-cosine", "--as", "ddpm"]) == 2
    assert "clip(x, lo, hi) takes 3" in capsys.readouterr().err
