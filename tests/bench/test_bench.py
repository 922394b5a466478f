"""The benchmark's result structure and its separate-model baseline (no timing assertions)."""

from __future__ import annotations

import json
import math

import torch

from ganviz.bench import engine as bench
from ganviz.core.config import load_preset
from ganviz.engine.trainer import Trainer


def _positive(x: float) -> bool:
    return isinstance(x, float) and math.isfinite(x) and x > 0


def test_quick_bench_result_is_complete_positive_and_json():
    threads_before = torch.get_num_threads()
    result = bench.run_bench(device="cpu", quick=True, sizes=(4, 16))
    assert torch.get_num_threads() == threads_before  # restored
    json.loads(json.dumps(result, allow_nan=False))  # plain, finite JSON data
    assert result["device"] == "cpu" and result["torch"] == torch.__version__
    assert result["threads"] >= 1 and result["quick"] is True
    assert _positive(result["matmul_gflops"])
    assert [s["runs"] for s in result["sizes"]] == [4, 16]
    for s in result["sizes"]:
        for key in ("eager_run_steps_per_s", "optimized_run_steps_per_s",
                    "separate_run_steps_per_s", "optimized_over_eager", "eager_gflops",
                    "optimized_gflops", "separate_gflops", "eager_matmul_fraction",
                    "optimized_matmul_fraction", "separate_matmul_fraction",
                    "speedup_over_separate", "goal_matmul_fraction"):
            assert _positive(s[key]), key
        assert _positive(s["matmul_gflops"]) and s["matmul_gflops"] <= result["matmul_gflops"]
        for name in ("eager", "optimized", "separate"):  # each against its own size's peak
            assert math.isclose(s[f"{name}_matmul_fraction"],
                                s[f"{name}_gflops"] / s["matmul_gflops"], rel_tol=1e-9)
        assert s["flops_per_step"]["total"] == s["flops_per_step"]["d_step"] + s[
            "flops_per_step"]["g_step"]
        assert min(s["timed_steps"].values()) >= 1
        # the suite runs with torch.compile off: the bench says so instead of pretending
        assert s["compiled"] is False and "switched off" in s["compile_unavailable"]
        losses = s["separate_losses"]
        for key in ("d_first", "g_first", "d_last", "g_last"):
            assert len(losses[key]) == s["runs"]
            assert all(math.isfinite(v) for v in losses[key]), key
        # the baseline really trains: every run's losses moved between its first and last step
        assert all(a != b for a, b in zip(losses["d_first"], losses["d_last"], strict=True))
        assert all(a != b for a, b in zip(losses["g_first"], losses["g_last"], strict=True))
    probes = result["probes"]
    assert 0 < probes["probe_share"] < 1 and probes["steps_per_sec"] > 0
    text = bench.format_report(result)
    assert "matmul throughput" in text and "optimized" in text and "probes" in text
    rows = [ln for ln in text.splitlines() if ln.split()[:1] in (["4"], ["16"])]
    assert len(rows) == 2 and "45%" in rows[0] and "55%" in rows[1]
    assert "not compiled" in text


def test_step_flops_counts_each_pass_from_the_layer_shapes():
    cfg = load_preset("default")  # widths 128, batch 256, k_d = k_g = 1, R = 4
    t = Trainer(cfg, "cpu")
    r, b = t.n_runs, 256
    g_layers = [(2, 128), (128, 128), (128, 3)]
    d_layers = [(2, 128), (128, 128), (128, 1)]

    def fwd(layers, n):
        return sum(2 * r * n * i * o for i, o in layers)

    def first(layers, n):
        i, o = layers[0]
        return 2 * r * n * i * o

    d_step = fwd(g_layers, b) + fwd(d_layers, 2 * b) + 2 * fwd(d_layers, 2 * b) - first(
        d_layers, 2 * b)
    g_step = 3 * fwd(g_layers, b) - first(g_layers, b) + 2 * fwd(d_layers, b)
    assert bench.step_flops(t) == {"d_step": d_step, "g_step": g_step,
                                   "total": d_step + g_step}


def test_separate_runs_train_each_estimator_finitely():
    cfg = load_preset("default").with_overrides(
        {"model": {"g_hidden": [16, 16], "d_hidden": [16, 16]}, "train": {"batch_size": 32}})
    sep = bench.SeparateRuns(cfg, torch.device("cpu"))
    assert [r.estimator for r in sep.runs] == ["plugin", "reparam_fixed", "reparam_learned",
                                               "score"]
    before = [p.detach().clone() for g in sep.G for p in g.parameters()]
    sep.step()
    first = (sep.loss_d.clone(), sep.loss_g.clone())
    for _ in range(5):
        sep.step()
    assert torch.isfinite(sep.loss_d).all() and torch.isfinite(sep.loss_g).all()
    assert (sep.loss_d != first[0]).all() and (sep.loss_g != first[1]).all()
    after = [p.detach() for g in sep.G for p in g.parameters()]
    assert all(not torch.equal(a, b) for a, b in zip(before, after, strict=True))
    assert all(p.requires_grad for d in sep.D for p in d.parameters())  # D unfrozen again
