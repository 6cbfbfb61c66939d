"""Derivations in VJP, JVP and several-``wrt`` form, and custom derivative rules.

Every entry of ``tests/forms_files/backward.py`` meets its expectation under both
engines ("auto": NumPy where it can; "xla": every check compiled), in float64
and float32: a right one passes in both, a wrong one fails in both. Then the
errors a form's declaration or closed form can make, each a clear message.
"""

import functools
import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import pytest

import checks
import checks._src.report.report
import checks._src.run.load
from checks import DeclarationError, derivation, derivations_in
from checks._src.declare import domain
from tests.forms_files import backward

SAMPLES = 200
ENGINES = ("auto", "xla")
ENTRIES = derivations_in(backward)


@functools.cache
def _report(engine: str) -> dict:
    report = checks.check_all(
        ENTRIES, samples=SAMPLES, seed=0, dtypes=("float64", "float32"), engine=engine
    )
    return {r.name: r for r in report.results}


def _params():
    """Each entry under each engine, a test of one cached run (``_report``): the
    tests of one engine share one xdist worker (``--dist loadgroup``), which
    runs the file once; spread over several, each worker would run it again."""
    for engine in ENGINES:
        for d in ENTRIES:
            mark = pytest.mark.xdist_group(f"forms-{engine}")
            yield pytest.param(d, engine, id=f"{d.name}-{engine}", marks=mark)


@pytest.mark.parametrize(("d", "engine"), list(_params()))
def test_entry_meets_its_expectation_in_float64_and_float32(d, engine):
    result = _report(engine)[d.name]
    text = checks._src.report.report.render_result(result, verbose=True)
    assert not result.message, text
    assert {c.dtype for c in result.cases} == {"float64", "float32"}, text
    if d.expect == "pass":
        assert all(c.status == "pass" for c in result.cases), text
        assert result.status == "pass", text
    else:  # fails in each dtype (at some sizes: a slip may vanish at N = 1)
        for dtype in ("float64", "float32"):
            assert any(c.status == "fail" for c in result.cases if c.dtype == dtype), (
                text
            )
        assert result.status == "xfail" and result.ok, text


def test_the_file_covers_every_form_right_and_wrong():
    kinds = {(d.kind, getattr(d, "form", ""), d.expect) for d in ENTRIES}
    for form in ("vjp", "jvp", "jacobian"):
        assert ("derivation", form, "pass") in kinds
        assert ("derivation", form, "fail") in kinds
    assert any(isinstance(d.wrt, tuple) and d.form == "jacobian" for d in ENTRIES)
    assert any(d.kind == "derivation" and d.order == 2 for d in ENTRIES)
    for form in ("vjp", "jvp"):
        assert ("rule", form, "pass") in kinds and ("rule", form, "fail") in kinds
    assert any(d.kind == "rule" and d.fixed for d in ENTRIES)


def test_a_failing_tuple_entry_is_named_and_reproduced(tmp_path):
    result = checks.verify(backward.affine_backward_mean_db, samples=SAMPLES)
    f64 = next(c for c in result.cases if c.dtype == "float64" and c.status == "fail")
    assert "closed form[b: " in f64.message
    assert "dout" in f64.counterexample.inputs
    assert result.repro, result.repro_note
    script = tmp_path / "repro.py"
    script.write_text(result.repro)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    difference = float(done.stdout.rsplit("max |difference|:", 1)[1])
    assert difference > 1e-6


def test_a_right_vjp_reproduction_compares_jax_vjp():
    text = checks._src.search.repro.repro_snippet(
        backward.polar_vjp.__derivation__,
        {
            "r": jnp.ones(3),
            "theta": jnp.zeros(3),
            "cotangent_0": jnp.ones(3),
            "cotangent_1": jnp.ones(3),
        },
    )
    assert "jax.vjp(" in text and "(cotangent_0, cotangent_1,)" in text


def _layer(W, b, x):
    return jnp.tanh(W @ x + b)


_INPUTS = {
    "W": domain.real(("m", "n")),
    "b": domain.real(("m",)),
    "x": domain.real(("n",)),
}
_DIMS = {"m": 3, "n": 2}


def _errors(fn, **declaration) -> list[str]:
    declaration = {"of": _layer, "inputs": _INPUTS, "dims": _DIMS, **declaration}
    result = checks.verify(fn, samples=20, dtypes=["float64"], **declaration)
    assert result.status == "error"
    return [c.message for c in result.cases]


def test_a_vjp_of_the_wrong_shape_is_an_error_naming_the_entry():
    def transposed(W, b, x, g):
        d = g * (1 - jnp.tanh(W @ x + b) ** 2)
        return jnp.outer(x, d), d

    (message,) = _errors(transposed, wrt=("W", "b"), form="vjp")
    assert message == "the closed form returns shape (2, 3) for W, expected (3, 2)"


def test_one_array_where_a_tuple_is_due_is_an_error():
    def only_b(W, b, x, g):
        return g * (1 - jnp.tanh(W @ x + b) ** 2)

    (message,) = _errors(only_b, wrt=("W", "b"), form="vjp")
    assert "returned one array; it must return a tuple of 2 arrays (W, b)" in message


def test_a_cotangent_domain_of_the_wrong_shape_is_an_error():
    def vjp_b(W, b, x, g):
        return g * (1 - jnp.tanh(W @ x + b) ** 2)

    (message,) = _errors(vjp_b, wrt="b", form="vjp", cotangent=domain.real(("n",)))
    assert message.startswith("cotangent=real(scale=1.0, shape=('n',)) has shape (2,)")
    assert "of= returns shape (3,)" in message


def test_a_cotangent_domain_is_sampled_as_declared():
    def vjp_b(W, b, x, g):
        return g * (1 - jnp.tanh(W @ x + b) ** 2)

    result = checks.verify(
        vjp_b,
        of=_layer,
        inputs=_INPUTS,
        dims=_DIMS,
        wrt="b",
        form="vjp",
        cotangent=domain.positive(("m",)),
        samples=50,
    )
    assert result.status == "pass"


def test_a_hessian_vector_product_needs_a_scalar_of():
    def hvp(W, b, x, v):
        return v

    (message,) = _errors(hvp, wrt="b", form="vjp", order=2)
    assert message.startswith("order=2 with form='vjp' (a Hessian-vector product)")


@pytest.mark.parametrize(
    ("declaration", "says"),
    [
        ({"wrt": ("W", "c")}, "wrt='c' is not a parameter of of="),
        ({"wrt": ("W", "W")}, "names a parameter twice"),
        ({"wrt": "W", "form": "hessian"}, "form must be one of"),
        ({"wrt": ("W", "b"), "order": 2}, "order=2 takes one wrt name"),
        ({"wrt": "W", "form": "jvp", "order": 2}, "order=2 takes one wrt name"),
        ({"wrt": "W", "form": "vjp", "tangents": domain.real()}, "tangents= is for"),
        ({"wrt": "W", "cotangent": domain.real()}, "cotangent= is for form='vjp'"),
        (
            {"wrt": "b", "form": "jvp", "tangents": {"b": domain.real(("n",))}},
            "tangents['b'] has shape ('n',) but 'b' has shape ('m',)",
        ),
        (
            {"wrt": "b", "form": "vjp", "cotangent": domain.integers(0, 2)},
            "cotangent= must be a real-valued checks.domain domain",
        ),
    ],
)
def test_declaration_mistakes_are_named(declaration, says):
    def closed(W, b, x, t):
        return t

    with pytest.raises(DeclarationError, match=None) as raised:
        derivation(of=_layer, inputs=_INPUTS, dims=_DIMS, **declaration)(closed)
    assert says in str(raised.value)


def test_the_closed_form_must_take_the_extra_arguments():
    def no_cotangent(W, b, x):
        return b

    with pytest.raises(DeclarationError) as raised:
        derivation(of=_layer, wrt="b", form="vjp", inputs=_INPUTS, dims=_DIMS)(
            no_cotangent
        )
    assert "followed by the cotangent of of='s output (form='vjp')" in str(raised.value)

    def one_tangent(W, b, x, dW):
        return dW @ x

    with pytest.raises(DeclarationError) as raised:
        derivation(of=_layer, wrt=("W", "x"), form="jvp", inputs=_INPUTS, dims=_DIMS)(
            one_tangent
        )
    assert "a tangent of W and a tangent of x" in str(raised.value)


def test_the_json_report_lists_the_form():
    text = checks._src.report.report.render_list_json(
        [backward.affine_backward.__derivation__]
    )
    (entry,) = json.loads(text)["entries"]
    assert entry["wrt"] == ["x", "w", "b"] and entry["form"] == "vjp"


def test_a_wrong_rule_shrinks_to_an_input_beyond_its_cutoff():
    result = checks.verify(backward.softplus_with_cutoff, samples=SAMPLES)
    assert result.status == "xfail" and result.kind == "rule"
    x = result.shrunk.inputs["x"]
    i = result.shrunk.element[0] - len(x)  # after the primal outputs
    assert abs(x[i]) > 20, result.shrunk
    assert result.repro, result.repro_note
    assert "jax.vjp(lambda x: closed_form_function(x), x)" in result.repro


def test_the_real_domain_samples_beyond_twenty():
    from checks._src.evaluate import on_host

    x, _ = domain.real(("n",)).sample_on_host(
        on_host.np.uint64(0), 1000, {"n": 3}, "float64"
    )
    assert (abs(x) > 20).any(axis=1).mean() > 0.05


def test_a_rule_without_its_derivative_is_an_error():
    @checks.rule(inputs={"x": domain.real()})
    @jax.custom_vjp
    def undefined(x):
        return x

    result = checks.verify(undefined, samples=20, dtypes=["float64"])
    assert result.status == "error"
    assert result.cases[0].message == (
        "no rule to check: undefined.defvjp(fwd, bwd) was never called"
    )


def test_rule_declaration_mistakes_are_named():
    with pytest.raises(DeclarationError, match=r"goes above @jax\.custom_vjp"):
        checks.rule(inputs={"x": domain.real()})(lambda x: x)

    def scaled(x, s):
        return x * s

    with pytest.raises(DeclarationError, match="'s' is in nondiff_argnums"):
        checks.rule(inputs={"x": domain.real(), "s": domain.real()})(
            jax.custom_vjp(scaled, nondiff_argnums=(1,))
        )
    with pytest.raises(DeclarationError, match="inputs= has no entry for s"):
        checks.rule(inputs={"x": domain.real()})(jax.custom_jvp(scaled))
    with pytest.raises(DeclarationError, match=r"inputs\['s'\] must be a real"):
        checks.rule(inputs={"x": domain.real(), "s": domain.integers(0, 3)})(
            jax.custom_jvp(scaled)
        )


def test_check_derivations_finds_rules_in_a_file():
    from checks._src.run.load import load_target

    found = load_target(backward.__file__)
    rules = {d.name: d.form for d in found if d.kind == "rule"}
    assert rules["stable_softplus"] == "vjp" and rules["log1pexp"] == "jvp"
    text = checks._src.report.report.render_list(found)
    assert "rule: vjp wrt x" in text and "vjp wrt x, w, b" in text


def _readme_blocks(heading: str) -> list[str]:
    """The Python blocks of the README section under ``heading``."""
    from pathlib import Path

    text = Path(__file__).parents[1].joinpath("README.md").read_text()
    section = text.split(heading, 1)[1].split("\n### ", 1)[0]
    return [part.split("```", 1)[0] for part in section.split("```python\n")[1:]]


def test_the_readme_examples_run_and_pass(tmp_path, monkeypatch):
    blocks = _readme_blocks("### Backward passes: VJP and JVP forms")
    assert len(blocks) == 2
    monkeypatch.syspath_prepend(str(tmp_path))
    for i, block in enumerate(blocks):
        module = tmp_path / f"readme_forms_{i}.py"
        module.write_text(block)
        report = checks.check_all(
            checks._src.run.load.load_target(str(module)),
            samples=50,
            dtypes=["float64"],
        )
        assert report.results and all(r.status == "pass" for r in report.results), [
            (r.name, r.status, r.message) for r in report.results
        ]


def test_mutants_of_a_vjp_closed_form_keep_its_form_and_are_killed():
    from checks._src.run.one_entry import mutation_score

    score = mutation_score(backward.relu_backward.__derivation__, samples=100)
    assert score.total > 0 and score.killed > 0, score


def test_assert_derivation_and_the_json_report_take_a_rule():
    checks.assert_derivation(backward.sharp_softplus, samples=50)
    checks.assert_derivation(backward.log1pexp_flipped, samples=50)  # xfail: ok
    report = checks.check_all([backward.sharp_softplus], samples=50)
    (entry,) = json.loads(checks._src.report.report.render_json(report))["results"]
    assert entry["kind"] == "rule" and entry["status"] == "pass"


def test_sizes_replace_the_declared_ones_for_a_vjp_form():
    result = checks.verify(backward.affine_backward, samples=50, sizes={"N": 7})
    assert result.status == "pass"
    assert {c.dims["N"] for c in result.cases} == {7}


def test_a_forward_rule_with_a_wrong_primal_fails_there():
    result = checks.verify(backward.softplus_relu_forward, samples=SAMPLES)
    assert result.status == "xfail"
    failing = [c for c in result.cases if c.status == "fail"]
    assert failing and all("closed form[primal: " in c.message for c in failing)


def _largest_value(jaxpr) -> int:
    """Elements of the largest value any equation of ``jaxpr`` makes (nested too)."""
    import math

    from jax.extend import core

    largest = 0
    for eqn in jaxpr.eqns:
        for v in eqn.outvars:
            largest = max(largest, math.prod(getattr(v.aval, "shape", ())))
        for p in eqn.params.values():
            for sub in p if isinstance(p, (tuple, list)) else (p,):
                if isinstance(sub, core.ClosedJaxpr):
                    largest = max(largest, _largest_value(sub.jaxpr))
                elif isinstance(sub, core.Jaxpr):
                    largest = max(largest, _largest_value(sub))
    return largest


def _vjp_w(W, x, g):
    return W


def _jvp_w(W, x, dW):
    return x


def test_a_vjp_or_jvp_check_never_forms_a_jacobian():
    import jax

    from checks._src.declare import forms
    from checks._src.evaluate import case_static, rounding

    dims = {"m": 200, "n": 200}  # ∂h/∂W alone would be m·m·n = 8,000,000 numbers
    for form, closed in (("vjp", _vjp_w), ("jvp", _jvp_w)):
        d = checks._src.declare.declare.make_derivation(
            closed,
            of=backward.tanh_layer,
            wrt="W",
            form=form,
            inputs=backward._LAYER,
            dims=dims,
        )
        low = forms.lowered(d, dims)
        avals = case_static.example_args(low, dims, jnp.float64)
        for fn in (low.of, rounding.with_error_bound(low.of, *avals)):
            jaxpr = jax.make_jaxpr(fn)(*avals).jaxpr
            assert _largest_value(jaxpr) <= 200 * 200, form
    # The measure tells: the Jacobian-form reference forms the whole ∂h/∂W.
    jacobian = jax.make_jaxpr(jax.jacrev(backward.tanh_layer))(*avals[:2]).jaxpr
    assert _largest_value(jacobian) == 200 * 200 * 200
