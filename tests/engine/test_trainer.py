import math

import pytest
import torch

from ganviz.core.config import Config
from ganviz.engine.checkpoint import CheckpointError, read_checkpoint
from ganviz.engine.trainer import Trainer
from tests.conftest import small_config


def params(trainer: Trainer) -> list[torch.Tensor]:
    return [p.detach().clone() for p in [*trainer.G.parameters(), *trainer.D.parameters()]]


def run_slice(tensors: list[torch.Tensor], r: int) -> list[torch.Tensor]:
    return [t[r] for t in tensors]


def test_runs_expand_estimators_sigmas_seeds():
    cfg = small_config(seeds=[0, 1], sigmas=[0.02, 0.1])
    t = Trainer(cfg)
    labels = [r.label for r in t.runs]
    # plugin x2 seeds, reparam_fixed x2 sigmas x2 seeds, learned x2, score x2 sigmas x2
    assert len(labels) == 2 + 4 + 2 + 4 == len(set(labels))
    assert t.G.weights[0].shape[0] == len(labels)


def test_same_config_and_seed_give_bit_identical_results(small_cfg):
    a, b = Trainer(small_cfg), Trainer(small_cfg)
    for _ in range(15):
        a.step()
        b.step()
    assert all(torch.equal(x, y) for x, y in zip(params(a), params(b), strict=True))
    assert torch.equal(a.loss_g, b.loss_g)
    assert a.evaluate() == b.evaluate()


def test_an_evaluation_in_pieces_between_steps_gives_the_row_evaluate_gives(small_cfg):
    """The window trains between the pieces of an evaluation; its row is still the one of
    the step it began at, bit for bit, and the training it overlaps is unchanged."""
    whole, pieces = Trainer(small_cfg), Trainer(small_cfg)
    for t in (whole, pieces):
        for _ in range(10):
            t.step()
    expected = whole.evaluate()
    pending = pieces.begin_evaluation()
    n = 0
    while not pending.advance():  # a step between every two pieces
        pieces.step()
        n += 1
    assert n >= 2 * pieces.n_runs  # the energy distance: two pair sums per run, at least
    assert pieces.history.last_step == 10 and pieces.history.last() == expected
    for _ in range(n):
        whole.step()
    assert all(torch.equal(x, y) for x, y in zip(params(whole), params(pieces), strict=True))
    assert whole.evaluate() == pieces.evaluate()


def test_different_seeds_differ():
    a = Trainer(small_config(seeds=[0]))
    b = Trainer(small_config(seeds=[1]))
    assert not torch.equal(a.G.weights[0], b.G.weights[0])


def test_paused_run_does_not_change_and_resumes_where_it_stopped(small_cfg):
    t = Trainer(small_cfg)
    t.set_active(2, False)
    before = params(t)
    for _ in range(5):
        t.step()
    after = params(t)
    for r in range(t.n_runs):
        same = all(torch.equal(x, y) for x, y in zip(run_slice(before, r), run_slice(after, r),
                                                      strict=True))
        assert same == (r == 2)
    assert t.run_steps.tolist() == [5, 5, 0, 5]
    # resumed: its next steps equal a fresh run's first steps (nothing of it moved while paused)
    t.set_active(2, True)
    fresh = Trainer(small_cfg)
    for _ in range(4):
        t.step()
        fresh.step()
    for x, y in zip(run_slice(params(t), 2), run_slice(params(fresh), 2), strict=True):
        assert torch.equal(x, y)


def test_diverged_run_is_frozen_and_others_continue(small_cfg):
    clean, broken = Trainer(small_cfg), Trainer(small_cfg)
    with torch.no_grad():
        broken.D.biases[-1][1] = math.nan  # run 1's discriminator output is NaN
    frozen = run_slice(params(broken), 1)
    for _ in range(6):
        clean.step()
        broken.step()
    assert broken.diverged_list() == [False, True, False, False]
    for x, y in zip(run_slice(params(broken), 1), frozen, strict=True):
        assert torch.equal(x.nan_to_num(7.0), y.nan_to_num(7.0))
    for r in (0, 2, 3):
        for x, y in zip(run_slice(params(broken), r), run_slice(params(clean), r), strict=True):
            assert torch.equal(x, y)
    rows = broken.evaluate()
    assert [row["diverged"] for row in rows] == [False, True, False, False]


def test_checkpoint_resume_gives_the_same_next_steps(small_cfg, tmp_path):
    straight = Trainer(small_cfg)
    straight.train(25)
    first = Trainer(small_cfg)
    first.train(12)
    path = tmp_path / "ck.pt"
    first.save_checkpoint(path)
    resumed = Trainer.from_checkpoint(path, device="cpu")
    resumed.train(13)
    assert all(torch.equal(x, y) for x, y in zip(params(straight), params(resumed), strict=True))
    keep = ("step", "run", "loss_d", "loss_g", "modes", "reverse_kl", "grad_rel_var")

    def view(h):
        return [{k: (None if row[k] != row[k] else row[k]) for k in keep} for row in h]

    assert view(straight.history.rows()) == view(resumed.history.rows())
    assert not list(tmp_path.glob(".*tmp"))


def test_bad_checkpoints_are_refused(tmp_path):
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        read_checkpoint(junk)
    newer = tmp_path / "newer.pt"
    torch.save({"format": "ganviz-checkpoint", "version": 99}, newer)
    with pytest.raises(CheckpointError, match="version 99"):
        read_checkpoint(newer)
    with pytest.raises(CheckpointError, match="no such file"):
        read_checkpoint(tmp_path / "missing.pt")


def _flip_record(data: bytes, record: str, count: int) -> bytes:
    """``data`` (a torch checkpoint) with ``count`` bytes inverted inside one record."""
    import io
    import struct
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        info = zf.getinfo(record)
    n, extra = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + n + extra
    out = bytearray(data)
    for k in range(count):
        out[start + (k * info.file_size) // count] ^= 0xFF
    return bytes(out)


def test_flipped_bytes_are_refused_not_loaded_as_wrong_numbers(tmp_path):
    """Issue 9, item 6: torch.load does not check the CRCs of its own zip, so 64 flipped
    bytes in the Adam state (record archive/data/14: opt_g.m[1]) load as wrong numbers."""
    t = Trainer(small_config())
    t.set_active(1, False)
    t.train(12)
    path = tmp_path / "checkpoint.pt"
    t.save_checkpoint(path)
    good = path.read_bytes()
    path.write_bytes(_flip_record(good, "archive/data/14", 64))
    unchecked = torch.load(path, weights_only=True)["opt_g"]["m"][1]
    assert not torch.equal(unchecked, t.opt_g.m[1])  # what happened before the check
    with pytest.raises(CheckpointError) as info:
        read_checkpoint(path)
    msg = str(info.value)
    assert "\n" not in msg and "bad CRC-32" in msg and "archive/data/14" in msg
    path.write_bytes(good)
    assert torch.equal(read_checkpoint(path)["opt_g"]["m"][1], t.opt_g.m[1])


def test_refused_state_leaves_the_trainer_as_it_was():
    t = Trainer(small_config())
    t.train(3)
    before = [p.clone() for p in params(t)], t.step_count, len(t.history)
    state = Trainer(small_config()).state_dict()
    state["history"], state["version"] = [1, 2, 3], 1  # rows, as version 1 stored them
    with pytest.raises(CheckpointError, match=r"checkpoint: history must hold 4 rows"):
        t.load_state_dict(state)
    state = Trainer(small_config()).state_dict()
    state["loss_g"] = torch.zeros(3)
    with pytest.raises(CheckpointError, match=r"checkpoint: loss_g must be a float32 tensor"):
        t.load_state_dict(state)
    assert all(torch.equal(a, b) for a, b in zip(before[0], params(t), strict=True))
    assert (t.step_count, len(t.history)) == before[1:]


def test_sigma_schedules():
    base = small_config()
    lin = Trainer(base.with_overrides({"train": {"sigma_schedule": "linear", "sigma_final": 0.01,
                                                 "schedule_steps": 10}}))
    exp = Trainer(base.with_overrides({"train": {"sigma_schedule": "exponential",
                                                 "sigma_final": 0.005, "schedule_steps": 10}}))
    for _ in range(5):
        lin.step()
        exp.step()
    # runs: plugin (0, stays 0), reparam_fixed 0.05, learned, score 0.05
    assert lin.fixed_sigma()[0].item() == 0.0
    assert lin.fixed_sigma()[1].item() == pytest.approx(0.03)
    assert exp.fixed_sigma()[3].item() == pytest.approx(0.05 * 0.1**0.5, rel=1e-5)
    for _ in range(10):
        lin.step()
    assert lin.fixed_sigma()[1].item() == pytest.approx(0.01)


def test_learned_sigma_respects_floor_and_moves():
    cfg = small_config(estimators=["reparam_learned"]).with_overrides(
        {"train": {"sigma_min": 0.02}})
    t = Trainer(cfg)
    z = torch.randn(1, 500, 2)
    _, s0 = t.generate(z)
    t.train(30)
    _, s1 = t.generate(z)
    assert s1.min() >= 0.02
    assert not torch.allclose(s0, s1)


def test_all_options_train_finite():
    cfg = Config().with_overrides({
        "model": {"g_hidden": [16, 16], "d_hidden": [16], "g_batchnorm": True, "d_maxout": 3,
                  "g_activation": "leaky_relu", "d_activation": "tanh", "latent": "uniform",
                  "latent_dim": 3, "init": "normal"},
        "train": {"batch_size": 32, "optimizer": "sgd", "momentum": 0.9, "lr_d": 0.01,
                  "lr_g": 0.01, "loss": "minimax", "k_d": 2, "k_g": 2, "real_noise": True,
                  "device": "cpu"},
        "runs": {"score_learned_sigma": True},
        "data": {"name": "grid25", "train_size": 1000},
        "eval": {"every": 5, "samples": 200, "grad_var_batches": 2},
    })
    t = Trainer(cfg)
    t.train(10)
    assert not any(t.diverged_list())
    assert all(math.isfinite(v) for row in t.history.rows(1) for v in row.values()
               if isinstance(v, float))


def test_training_learns_the_ring():
    cfg = small_config(estimators=["plugin", "reparam_fixed", "reparam_learned"]).with_overrides(
        {"model": {"g_hidden": [64, 64], "d_hidden": [64, 64]}, "train": {"batch_size": 128}})
    t = Trainer(cfg)
    start = t.evaluate()
    t.train(800)
    end = t.history.last()
    for s, e in zip(start, end, strict=True):
        assert e["hq_fraction"] > s["hq_fraction"] + 0.2, (s, e)
        assert e["js_divergence"] < s["js_divergence"] - 0.1, (s, e)
        assert e["modes"] >= 6, e
