"""The bad-input corpus for the command line and config files.

Every case: exit code 2, one line on stderr (``ganviz: error: ...``) naming the field and
what is allowed, no traceback, nothing written (the working folder is unchanged, a run
folder already there is untouched). Damaged session and checkpoint files have their own
corpus in test_bad_files.py, bad values typed into the window in test_bad_input_gui.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ganviz.cli import main
from tests.conftest import small_config

BIG = "9" * 400

# (arguments, expected text in the one line). "{out}" is a folder that must never appear.
FLAG_CASES = [
    # train
    (["train", "--steps", "0", "--out", "{out}"], "argument --steps: must be >= 1"),
    (["train", "--steps", "-5", "--out", "{out}"], "argument --steps: must be >= 1"),
    (["train", "--steps", "abc", "--out", "{out}"], "argument --steps: must be an integer"),
    (["train", "--steps", "1.5", "--out", "{out}"], "argument --steps: must be an integer"),
    (["train", "--steps", "1e3", "--out", "{out}"], "argument --steps: must be an integer"),
    (["train", "--steps", BIG, "--out", "{out}"], "--steps: must be at most 100000000 (got 400"),
    (["train", "--steps", "100000001", "--out", "{out}"], "--steps: must be at most 100000000"),
    (["train", "--steps", "", "--out", "{out}"], "argument --steps: must be an integer"),
    (["train", "--steps", "²", "--out", "{out}"], "argument --steps: must be an integer"),
    (["train", "--steps", "--out", "{out}"], "argument --steps: expected one argument"),
    (["train", "--checkpoint-every", "0", "--out", "{out}"], "--checkpoint-every: must be >= 1"),
    (["train", "--checkpoint-every", "x", "--out", "{out}"],
     "--checkpoint-every: must be an integer"),
    (["train", "--checkpoint-every", BIG, "--out", "{out}"], "--checkpoint-every: must be at"),
    (["train", "--gif-every", "0", "--gif", "--out", "{out}"], "--gif-every: must be >= 1"),
    (["train", "--gif-every", "-1", "--out", "{out}"], "--gif-every: must be >= 1"),
    (["train", "--gif-every", "10" * 20, "--out", "{out}"], "--gif-every: must be at most"),
    (["train", "--estimators", "", "--out", "{out}"], "--estimators: give a comma-separated"),
    (["train", "--estimators", ",", "--out", "{out}"], "--estimators: give a comma-separated"),
    (["train", "--estimators", "plugin,plugin", "--out", "{out}"], "listed once"),
    (["train", "--estimators", "magic", "--out", "{out}"],
     "--estimators (runs.estimators[0]: unknown value 'magic'; allowed: plugin"),
    (["train", "--estimators", "Plugin", "--out", "{out}"], "unknown value 'Plugin'"),
    (["train", "--seeds", "", "--out", "{out}"], "--seeds: give a comma-separated list"),
    (["train", "--seeds", "-1", "--out", "{out}"], "--seeds (runs.seeds[0]: must be a finite"),
    (["train", "--seeds", "1,1", "--out", "{out}"], "--seeds (runs.seeds: give at least one"),
    (["train", "--seeds", BIG, "--out", "{out}"], "runs.seeds[0]: must be a finite number in "
                                                  "[0, 9223372036854775807]"),
    (["train", "--seeds", "1.5", "--out", "{out}"], "--seeds: every item must be a int"),
    (["train", "--seeds", ",".join(map(str, range(300))), "--out", "{out}"],
     "--seeds (runs.seeds: give at most 256 seeds (got 300))"),
    (["train", "--seeds", ",".join(map(str, range(100))), "--out", "{out}"],
     "--seeds (runs: 400 runs (estimators x sigmas x seeds); the limit is 256"),
    (["train", "--sigma", "-0.5", "--out", "{out}"], "--sigma (runs.sigmas[0]: must be a finite"),
    (["train", "--sigma", "abc", "--out", "{out}"], "--sigma: every item must be a float"),
    (["train", "--sigma", "nan", "--out", "{out}"], "--sigma (runs.sigmas[0]: must be a finite"),
    (["train", "--sigma", "inf", "--out", "{out}"], "--sigma (runs.sigmas[0]: must be a finite"),
    (["train", "--sigma", "1e400", "--out", "{out}"], "--sigma (runs.sigmas[0]: must be a"),
    (["train", "--sigma", "0", "--out", "{out}"], "the score estimator needs sigma > 0"),
    (["train", "--sigma", "0.1,0.1", "--out", "{out}"], "give at least one sigma, each once"),
    (["train", "--sigma", "101", "--out", "{out}"], "in [0, 100] (got 101.0)"),
    (["train", "--device", "tpu", "--out", "{out}"], "--device (train.device: unknown value"),
    (["train", "--device", "", "--out", "{out}"], "--device (train.device: unknown value ''"),
    (["train", "--device", "CPU", "--out", "{out}"], "unknown value 'CPU'; allowed: auto, cpu"),
    (["train", "--preset", "nope", "--out", "{out}"], "--preset: unknown preset 'nope'; allowed:"),
    (["train", "--preset", "", "--out", "{out}"], "--preset: unknown preset ''; allowed:"),
    (["train", "--preset", "../../etc/passwd", "--out", "{out}"], "--preset: unknown preset"),
    (["train", "--config", "missing.toml", "--out", "{out}"], "--config: cannot read"),
    (["train", "--config", ".", "--out", "{out}"], "--config: . is a folder, not a TOML file"),
    (["train", "--preset", "default", "--config", "x.toml", "--out", "{out}"],
     "argument --config: not allowed with argument --preset"),
    (["train", "--bogus", "--out", "{out}"], "unrecognized arguments: --bogus"),
    (["train", "--resume", "--out", "{out}"], "--resume: no checkpoint.pt in"),
    (["train", "--out", "/dev/null/x"], "--out: /dev/null is not a folder"),
    (["train", "--out", "file.txt"], "file.txt is not a folder"),
    (["train", "--out", ""], "argument --out: give a folder name"),
    (["train", "--out", "  "], "argument --out: give a folder name"),
    (["train", "--out", " runs/x"], "argument --out: the folder name has blanks around it"),
    (["trian"], "invalid choice: 'trian'"),
    # compare
    (["compare", "--protocol", "nope", "--out", "{out}"], "--protocol: unknown protocol 'nope'"),
    (["compare", "--out", "{out}"], "the following arguments are required: --protocol"),
    (["compare", "--protocol", "veegan-ring"], "the following arguments are required: --out"),
    (["compare", "--protocol", "veegan-ring", "--seeds", "0", "--out", "{out}"],
     "argument --seeds: must be >= 1"),
    (["compare", "--protocol", "veegan-ring", "--seeds", "65", "--out", "{out}"],
     "argument --seeds: must be at most 64"),
    (["compare", "--protocol", "veegan-ring", "--seeds", "1000000000", "--out", "{out}"],
     "argument --seeds: must be at most 64 (got 1000000000)"),
    (["compare", "--protocol", "veegan-ring", "--seeds", BIG, "--out", "{out}"],
     "argument --seeds: must be at most 64 (got 400 digits)"),
    (["compare", "--protocol", "veegan-ring", "--seeds", "64", "--sigma", "0.1,0.2",
      "--out", "{out}"], "--seeds/--sigma (runs: 384 runs"),
    (["compare", "--protocol", "veegan-ring", "--sigma", "-1", "--out", "{out}"],
     "--sigma (runs.sigmas[0]: must be a finite number"),
    (["compare", "--protocol", "veegan-ring", "--sigma", "x", "--out", "{out}"],
     "--sigma: every item must be a float"),
    (["compare", "--protocol", "veegan-ring", "--steps", "0", "--out", "{out}"],
     "argument --steps: must be >= 1"),
    (["compare", "--protocol", "veegan-ring", "--device", "tpu", "--out", "{out}"],
     "--device (train.device: unknown value 'tpu'"),
    (["compare", "--protocol", "veegan-ring", "--resume", "--out", "{out}"],
     "--resume: no sweep.json in"),
    (["compare", "--protocol", "veegan-ring", "--ray", "--device", "cuda", "--out", "{out}"],
     "cuda"),
    (["sweep", "{out}", "--out", "{out}"], "sweep never: cannot read it"),
    (["sweep", "--out", "{out}"], "the following arguments are required: FILE"),
    (["compare", "--protocol", "veegan-ring", "--out", ""], "argument --out: give a folder"),
    (["compare", "--protocol", "veegan-ring", "--checkpoint-every", "-3", "--out", "{out}"],
     "argument --checkpoint-every: must be >= 1"),
    # bench
    (["bench", "--gui", "--seconds", "nan"], "--seconds: must be a number of seconds from 1"),
    (["bench", "--gui", "--seconds", "-1"], "--seconds: must be a number of seconds from 1"),
    (["bench", "--gui", "--seconds", "0"], "--seconds: must be a number of seconds from 1"),
    (["bench", "--gui", "--seconds", "inf"], "--seconds: must be a number of seconds"),
    (["bench", "--gui", "--seconds", "abc"], "--seconds: must be a number of seconds (got"),
    (["bench", "--gui", "--seconds", "1e9"], "--seconds: must be a number of seconds from 1 to"),
    (["bench", "--device", "tpu"], "--device: unknown device 'tpu'; allowed: auto, cpu, cuda"),
    (["bench", "--json", "--bogus"], "unrecognized arguments: --bogus"),
    # the window
    (["--quit-after", "-1"], "--quit-after: must be a number of seconds from 0 to 3600"),
    (["--quit-after", "nan"], "--quit-after: must be a number of seconds"),
    (["--quit-after", "soon"], "--quit-after: must be a number of seconds (got 'soon')"),
    (["--preset", "nope"], "--preset: unknown preset 'nope'"),
    (["--device", "tpu"], "--device (train.device: unknown value 'tpu'"),
    (["--config", "missing.toml"], "--config: cannot read"),
    (["--config", "bad.toml"], "malformed TOML"),
]

# (config file text or bytes, expected text in the one line)
TOML_CASES = [
    ("[train\nsteps = 3", "malformed TOML"),
    ("[foo]\nx = 1", "foo: unknown section; allowed: data, model, train"),
    ("train = 3", "train: must be a table"),
    ("[train]\nstepz = 3", "train.stepz: unknown key; allowed: steps"),
    ('[train]\nsteps = "ten"', "train.steps: must be an integer (got 'ten')"),
    ("[train]\nsteps = 1.5", "train.steps: must be an integer (got 1.5)"),
    ("[train]\nsteps = true", "train.steps: must be an integer (got True)"),
    ("[train]\nsteps = 0", "train.steps: must be a finite number in [1, 100000000]"),
    ("[train]\nsteps = 100000001", "train.steps: must be a finite number in [1, 100000000]"),
    (f"[train]\nsteps = {BIG}", "train.steps: must be a finite number in [1, 100000000] (got"),
    ("[train]\nlr_d = nan", "train.lr_d: must be a finite number in (0, 10]"),
    ("[train]\nlr_d = inf", "train.lr_d: must be a finite number in (0, 10]"),
    ("[train]\nlr_g = -1e-3", "train.lr_g: must be a finite number in (0, 10]"),
    ("[train]\nlr_d = 0", "train.lr_d: must be a finite number in (0, 10]"),
    ("[train]\nbatch_size = 1000000", "train.batch_size: 4 runs at batch 1000000"),
    ("[train]\nbatch_size = 1", "train.batch_size: must be a finite number in [2,"),
    ("[train]\nk_g = 0", "train.k_g: must be a finite number in [1, 100]"),
    ('[train]\nupdate = "together"', "train.update: unknown value 'together'; allowed: "
                                      "alternating, simultaneous"),
    ('[train]\nupdate = "simultaneous"\nk_d = 2',
     "train.update: simultaneous updates need k_D = k_G = 1 (got k_D = 2, k_G = 1)"),
    ('[model]\ninit = "orth"', "model.init: unknown value 'orth'; allowed: default, normal, "
                               "orthogonal"),
    ("[model]\ninit_gain = 0", "model.init_gain: must be a finite number in (0, 10]"),
    ("[model]\ninit_nudge = -1", "model.init_nudge: must be a finite number in [0, 1000000]"),
    ("[model]\ninit_nudge = 1.5", "model.init_nudge: must be an integer (got 1.5)"),
    ('[runs]\nscore_baseline = "mean"', "runs.score_baseline: unknown value 'mean'; allowed: "
                                        "leave_one_out, at_mean"),
    ("[runs]\nsigma_entropy = -0.1", "runs.sigma_entropy: must be a finite number in [0, 100]"),
    ("[runs]\nsigma_entropy = nan", "runs.sigma_entropy: must be a finite number in [0, 100]"),
    ("[train]\nk_d = 101", "train.k_d: must be a finite number in [0, 100]"),
    ('[train]\noptimizer = "rmsprop"', "train.optimizer: unknown value 'rmsprop'; allowed: adam"),
    ('[train]\nloss = "wasserstein"', "train.loss: unknown value 'wasserstein'; allowed:"),
    ("[train]\nbeta1 = 1.0", "train.beta1: must be a finite number in [0, 0.9999]"),
    ('[train]\nsigma_schedule = "cosine"', "train.sigma_schedule: unknown value 'cosine'"),
    ('[train]\nsigma_schedule = "exponential"\nsigma_final = 0.0',
     "train.sigma_final: the score estimator needs sigma_final > 0"),
    ('[train]\ndevice = "tpu"', "train.device: unknown value 'tpu'"),
    ("[train]\nthreads = -1", "train.threads: must be a finite number in [0, 1024]"),
    ("[train]\nreal_noise = 1", "train.real_noise: must be true or false (got 1)"),
    ('[data]\nname = "moons"', "data.name: unknown value 'moons'; allowed: ring8, grid25"),
    ("[data]\nseed = 1000000000000000000000000000000",
     "data.seed: must be a finite number in [0, 9223372036854775807]"),
    ("[data]\nseed = -1", "data.seed: must be a finite number in [0, 9223372036854775807]"),
    ("[data]\nstd = 0", "data.std: must be a finite number in (0, 1000]"),
    ("[data]\nradius = -2.0", "data.radius: must be a finite number in (0, 1000]"),
    ("[data]\ntrain_size = 100000000", "data.train_size: must be a finite number in [0,"),
    ('[data]\nname = "custom"', "data.means: custom data needs at least one mean"),
    ('[data]\nname = "custom"\nmeans = [[1.0, 2.0, 3.0]]', "data.means[0]: must be [x, y]"),
    ('[data]\nname = "custom"\nmeans = [[1.0, nan]]', "data.means[0][1]: must be a finite"),
    ('[data]\nname = "custom"\nmeans = [[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]]\n'
     'stds = [0.1, 0.2]', "data.stds: give 0, 1 or 3 values"),
    ('[data]\nname = "custom"\nmeans = [[0.0, 0.0]]\nweights = [-1.0]',
     "data.weights[0]: must be a finite number in (0, 1e+06]"),
    ('[data]\nname = "custom"\nmeans = [' + ", ".join(["[0.0, 0.0]"] * 1001) + "]",
     "data.means: give at most 1000 modes (got 1001)"),
    ('[data]\nmeans = "everywhere"', "data.means: must be a list (got 'everywhere')"),
    ("[model]\nlatent_dim = 0", "model.latent_dim: must be a finite number in [1, 1024]"),
    ("[model]\nlatent_dim = 5000", "model.latent_dim: must be a finite number in [1, 1024]"),
    ("[model]\ng_hidden = []", "model.g_hidden: give 1 to 8 layer widths (got 0)"),
    ("[model]\ng_hidden = [0]", "model.g_hidden[0]: must be a finite number in [1, 4096]"),
    ("[model]\ng_hidden = [1, 2, 3, 4, 5, 6, 7, 8, 9]", "model.g_hidden: give 1 to 8 layer"),
    ("[model]\nd_hidden = [1000000]", "model.d_hidden[0]: must be a finite number in [1, 4096]"),
    ('[model]\ng_hidden = "128"', "model.g_hidden: must be a list (got '128')"),
    ("[model]\ng_hidden = [128.5]", "model.g_hidden[0]: must be an integer (got 128.5)"),
    ('[model]\ng_activation = "gelu"', "model.g_activation: unknown value 'gelu'; allowed:"),
    ("[model]\nd_maxout = 0", "model.d_maxout: must be a finite number in [1, 16]"),
    ("[model]\ninit_std = 0", "model.init_std: must be a finite number in (0, 10]"),
    ("[model]\nd_hidden = [4096, 4096, 4096, 4096, 4096, 4096, 4096, 4096]\nd_maxout = 16",
     "train.batch_size: 4 runs at batch 256"),
    ("[runs]\nestimators = []", "runs.estimators: give at least one of plugin"),
    ('[runs]\nestimators = ["plugin", "plugin"]', "runs.estimators: each estimator may be"),
    ("[runs]\nestimators = [1]", "runs.estimators[0]: must be a string (got 1)"),
    ("[runs]\nseeds = []", "runs.seeds: give at least one seed, each once"),
    ("[runs]\nseeds = [1e30]", "runs.seeds[0]: must be an integer (got 1e+30)"),
    (f"[runs]\nseeds = [{BIG}]", "runs.seeds[0]: must be a finite number in [0, 922337203"),
    ("[runs]\nseeds = [" + ", ".join(map(str, range(300))) + "]",
     "runs.seeds: give at most 256 seeds (got 300)"),
    ("[runs]\nsigmas = [-1.0]", "runs.sigmas[0]: must be a finite number in [0, 100]"),
    ("[runs]\nsigma_init = 0.0", "runs.sigma_init: must be a finite number in (0.001, 100]"),
    ("[runs]\nplugin_sigma = -1.0", "runs.plugin_sigma: must be a finite number in [0, 100]"),
    ('[runs]\nscore_learned_sigma = "yes"', "runs.score_learned_sigma: must be true or false"),
    ("[eval]\nevery = 0", "eval.every: must be a finite number in [1, 100000000]"),
    ("[eval]\nsamples = 5", "eval.samples: must be a finite number in [10, 1000000]"),
    ("[eval]\nsamples = 1000000", "eval.samples: 4 runs at batch 256 (eval samples 1000000)"),
    ("[eval]\njs_bins = 2", "eval.js_bins: must be a finite number in [4, 1000]"),
    ("[probe]\ngrid = 4", "probe.grid: must be a finite number in [8, 512]"),
    ("[probe]\ngrid = 10000", "probe.grid: must be a finite number in [8, 512]"),
    ("[probe]\ncurve_points = 1", "probe.curve_points: must be a finite number in [2, 100]"),
    ("a = " + "[" * 3000 + "]" * 3000, "malformed TOML (nested too deeply)"),
    ("[train]\nsteps = 5\0", "malformed TOML"),
    (b"[train]\nsteps = 5\n# \xff\xfe\n", "is not UTF-8 text (byte 0xff at offset 20)"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is not UTF-8 text (byte 0x89 at offset 0)"),
    ("# padding\n" * 120_000, "is larger than 1024 KiB"),
]


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    """A working folder holding a finished run, a file and a bad config, as cwd."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "file.txt").write_text("not a folder")
    (tmp_path / "bad.toml").write_text("[train\n")
    run = tmp_path / "runs" / "default"
    run.mkdir(parents=True)
    (run / "checkpoint.pt").write_bytes(b"precious")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


def refused(args: list[str], capsys) -> str:
    code = main(args)
    out, err = capsys.readouterr()
    assert code == 2, (args, out, err)
    assert err.startswith("ganviz: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err and out == ""
    return err


@pytest.mark.parametrize(("args", "expected"), FLAG_CASES,
                         ids=[f"flags{i}" for i in range(len(FLAG_CASES))])
def test_bad_flags(args, expected, workdir, capsys, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    before = snapshot(workdir)
    err = refused([a.replace("{out}", "never") for a in args], capsys)
    assert expected in err
    assert snapshot(workdir) == before


@pytest.mark.parametrize(("text", "expected"), TOML_CASES,
                         ids=[f"toml{i}" for i in range(len(TOML_CASES))])
def test_bad_config_files(text, expected, workdir, capsys):
    path = workdir / "case.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    before = snapshot(workdir)
    for args in (["train", "--config", "case.toml", "--out", "never"],
                 ["train", "--config", "case.toml"], ["--config", "case.toml"]):
        err = refused(args, capsys)
        assert expected in err
        assert snapshot(workdir) == before


def test_the_corpus_is_large_enough():
    assert len(FLAG_CASES) + len(TOML_CASES) >= 150


def test_a_byte_order_mark_is_accepted(tmp_path):
    from ganviz.core import config

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + small_config().to_toml().encode())
    assert config.load(path) == small_config()
