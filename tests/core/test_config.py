import math

import pytest

from ganviz.core import config
from ganviz.core.config import Config
from ganviz.core.settings import ConfigError


def test_presets_load_and_validate():
    names = config.preset_names()
    for required in ("default", "veegan-ring", "veegan-grid", "pacgan-ring", "pacgan-grid"):
        assert required in names
    for name in names:
        cfg = config.load_preset(name)
        assert cfg.validate() is cfg
        assert config.preset_description(name)


def test_toml_round_trip(tmp_path):
    cfg = config.load_preset("pacgan-grid")
    path = tmp_path / "c.toml"
    cfg.save(path)
    again = config.load(path)
    assert again == cfg


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"runs": {"estimators": ["plugin", "bogus"]}}, "runs.estimators[1]"),
        ({"runs": {"sigmas": [-0.1]}}, "runs.sigmas[0]"),
        ({"train": {"lr_d": math.nan}}, "train.lr_d"),
        ({"train": {"lr_g": 0.0}}, "train.lr_g"),
        ({"train": {"lr_g": math.inf}}, "train.lr_g"),
        ({"train": {"bogus": 1}}, "train.bogus"),
        ({"data": {"name": "moons"}}, "data.name"),
        ({"train": {"batch_size": 1.5}}, "train.batch_size"),
        ({"train": {"real_noise": 1}}, "train.real_noise"),
        ({"runs": {"sigmas": [0.0]}}, "runs.sigmas[0]"),  # score needs sigma > 0
        ({"data": {"name": "custom"}}, "data.means"),
        ({"train": {"sigma_schedule": "exponential", "sigma_final": 0.0}}, "train.sigma_final"),
        ({"runs": {"seeds": [1, 1]}}, "runs.seeds"),
    ],
)
def test_bad_values_name_the_field(overrides, field):
    with pytest.raises(ConfigError) as err:
        Config().with_overrides(overrides)
    assert err.value.field == field
    message = str(err.value)
    assert message.startswith(field) and "\n" not in message


def test_allowed_range_is_stated():
    with pytest.raises(ConfigError, match=r"train.lr_d: must be a finite number in \(0, 10\]"):
        Config().with_overrides({"train": {"lr_d": -1.0}})
    with pytest.raises(ConfigError, match="allowed: plugin, reparam_fixed, reparam_learned, score"):
        Config().with_overrides({"runs": {"estimators": ["x"]}})


def test_malformed_toml_and_unknown_section():
    with pytest.raises(ConfigError, match="malformed TOML"):
        config.loads("[train\nsteps = 3")
    with pytest.raises(ConfigError, match="unknown section"):
        config.loads("[nonsense]\na = 1")


def test_unknown_preset():
    with pytest.raises(ConfigError, match=r"unknown preset 'nope'; allowed: .*default"):
        config.load_preset("nope")


def test_score_with_learned_sigma_allows_zero_fixed_sigma():
    cfg = Config().with_overrides({"runs": {"sigmas": [0.0], "score_learned_sigma": True}})
    assert cfg.runs.sigmas == [0.0]
