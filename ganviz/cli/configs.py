"""The config a command's flags ask for: the preset or file (``--preset``, ``--config``), the
flags that override it (``--steps``, ``--estimators``, ``--data``, ...), and on ``--resume``
the checkpoint's own config, which those flags may not contradict."""

from __future__ import annotations

import argparse

from ganviz.cli.args import UsageError, split_list


def preset_name(args: argparse.Namespace) -> str:
    """The preset asked for (``default`` when none; an empty name stays empty, and is refused)."""
    return args.preset if args.preset is not None else "default"


def base_config(args: argparse.Namespace):
    """The config file or preset the arguments name, before any flag overrides it."""
    from ganviz.core import config

    if args.config is not None:
        return config.load(args.config)
    return config.load_preset(preset_name(args))


def resolve_config(args: argparse.Namespace):
    """The validated Config for ``train``'s arguments (preset or file, then overrides)."""
    from ganviz.core import config

    base = base_config(args)
    overrides: dict[str, dict] = {"train": {}, "runs": {}}
    if args.steps is not None:
        overrides["train"]["steps"] = args.steps
    if args.device is not None:
        overrides["train"]["device"] = args.device
    if args.estimators is not None:
        overrides["runs"]["estimators"] = split_list("--estimators", args.estimators, str)
    if args.seeds is not None:
        overrides["runs"]["seeds"] = split_list("--seeds", args.seeds, int)
    if args.sigma is not None:
        overrides["runs"]["sigmas"] = split_list("--sigma", args.sigma, float)
    overrides.update(data_overrides(args))
    try:
        return base.with_overrides(overrides)
    except config.ConfigError as exc:
        flag = {"runs.estimators": "--estimators", "runs.seeds": "--seeds",
                "runs.sigmas": "--sigma", "train.steps": "--steps", "train.device": "--device"}
        for field, name in flag.items():
            if exc.field.startswith(field) and getattr(args, name[2:]) is not None:
                raise UsageError(f"{name} ({exc})") from None
        given = [f"--{k}" for k in ("estimators", "seeds", "sigma") if getattr(args, k)]
        if exc.field == "runs" and given:
            raise UsageError(f"{'/'.join(given)} ({exc})") from None
        raise


def data_overrides(args: argparse.Namespace) -> dict[str, dict]:
    """The data settings ``--data FILE [--columns A,B]`` ask for (none without --data)."""
    if args.data is None:
        if args.columns is not None:
            raise UsageError("--columns: give --data FILE too (the columns of which file?)")
        return {}
    columns = split_list("--columns", args.columns, str) if args.columns is not None else []
    if len(columns) not in (0, 2):
        raise UsageError(f"--columns: give two columns, x and y (got {len(columns)})")
    return {"data": {"name": "file", "file": str(args.data.absolute()), "columns": columns}}


def check_data_file(args: argparse.Namespace, cfg) -> None:
    """Read the config's data file once before anything is written: a bad file is one line
    naming --data (or data.file), exit 2, and no run folder."""
    from ganviz.data.datafile import load_points

    if cfg.data.name != "file":
        return
    flags = getattr(args, "data", None) is not None
    load_points(cfg.data.file, cfg.data.columns, field="--data" if flags else "data.file",
                columns_field="--columns" if flags else "data.columns")


RUN_FLAGS = {"estimators": "runs.estimators", "seeds": "runs.seeds", "sigma": "runs.sigmas"}


def resume_config(args: argparse.Namespace, state: dict):
    """The config to continue a checkpoint with: its own, with ``--steps`` and ``--device``.

    Flags that define the runs (``--preset``, ``--config``, ``--estimators``, ``--seeds``,
    ``--sigma``) may be repeated on ``--resume`` but must agree with the checkpoint; a
    disagreement is refused, never silently ignored.
    """
    from ganviz.core import config
    from ganviz.studies import compare

    saved = state["config"]
    if args.preset is not None or args.config is not None:
        why = compare.resume_mismatch(resolve_config(args), saved)
        if why is not None:
            flag = "--config" if args.config is not None else "--preset"
            raise UsageError(f"{flag}: the checkpoint was made with another config ({why}); "
                             "--resume continues the checkpoint's own config")
    else:
        given = resolve_config(args)
        for flag, field in RUN_FLAGS.items():
            if getattr(args, flag) is None:
                continue
            section, key = field.split(".")
            old, new = saved[section][key], getattr(given.runs, key)
            if old != new:
                raise UsageError(f"--{flag}: the checkpoint's runs have {key} {old!r}, not "
                                 f"{new!r}; --resume cannot change them (train into another "
                                 "--out instead)")
    if args.data is not None and data_overrides(args)["data"]["file"] != saved["data"]["file"]:
        trained_on = saved["data"]["file"] or saved["data"]["name"]
        raise UsageError(f"--data: the checkpoint was trained on {trained_on}; --resume "
                         "cannot change the data")
    step = int(state["step"])
    steps = args.steps if args.steps is not None else saved["train"]["steps"]
    if steps < step:
        raise UsageError(f"--steps: the checkpoint is already at step {step}; give the total "
                         f"to reach, at least {step}")
    train = {"steps": steps}
    if args.device is not None:
        train["device"] = args.device
    try:
        return config.from_dict({**saved, "train": {**saved["train"], **train}})
    except config.ConfigError as exc:
        if exc.field == "train.device":
            raise UsageError(f"--device ({exc})") from None
        raise UsageError(f"--resume: the checkpoint's config is no longer valid ({exc})"
                         ) from None
