"""The Settings dock: round trips, refused input, live apply and the reset offer."""

from __future__ import annotations

import pytest

pytest.importorskip("PySide6")

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from ganviz.core.config import Config, load_preset, preset_names
from ganviz.core.settings import ConfigError
from ganviz.gui.settings import SettingsPanel


@pytest.fixture
def panel(qtbot) -> SettingsPanel:
    w = SettingsPanel(load_preset("default"))
    qtbot.addWidget(w)
    return w


def type_into(qtbot, widget, text: str) -> None:
    """Replace a line edit's text by typing, as a user would."""
    widget.selectAll()
    qtbot.keyClick(widget, Qt.Key_Backspace)
    qtbot.keyClicks(widget, text)


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.LeftButton)


@pytest.mark.parametrize("name", preset_names())
def test_round_trip_every_preset(panel, name):
    cfg = load_preset(name)
    panel.set_config(cfg)
    assert panel.current_config() == cfg
    assert panel.current_config().to_dict() == cfg.to_dict()


def test_fresh_panel_is_clean(panel):
    assert not panel.is_dirty()
    assert not panel.apply_button.isEnabled()
    assert panel.error_label.isHidden() and panel.reset_note.isHidden()


@pytest.mark.parametrize("text", ["-1", "abc", "nan"])
def test_invalid_learning_rate_is_refused(qtbot, panel, text):
    edit = panel.field_widget("train.lr_d")
    type_into(qtbot, edit, text)
    assert panel.apply_button.isEnabled()
    assert edit.styleSheet(), "obvious garbage is marked while typing"
    with qtbot.assertNotEmitted(panel.apply_requested), \
            qtbot.assertNotEmitted(panel.reset_requested):
        click(qtbot, panel.apply_button)
        click(qtbot, panel.reset_button)
    message = panel.error_label.text()
    assert panel.error_label.isVisibleTo(panel)
    assert message.startswith("LR D: ") and "(0, 10]" in message and "\n" not in message
    assert "train.lr_d" not in message, "the GUI names a field by its label"
    assert "train.lr_d" in edit.toolTip()
    assert edit.text() == text, "what the user typed is kept"
    with pytest.raises(ConfigError) as info:
        panel.current_config()
    assert info.value.field == "train.lr_d"
    # editing the offending field clears the message; a valid value clears the border
    type_into(qtbot, edit, "2e-4")
    assert panel.error_label.isHidden()
    assert edit.styleSheet() == ""
    assert panel.current_config().train.lr_d == 2e-4


def test_error_in_other_field_survives_unrelated_edit(qtbot, panel):
    type_into(qtbot, panel.field_widget("train.lr_d"), "abc")
    click(qtbot, panel.apply_button)
    type_into(qtbot, panel.field_widget("train.lr_g"), "3e-4")
    assert "LR D" in panel.error_label.text() and panel.error_label.isVisibleTo(panel)


def test_live_change_applies(qtbot, panel):
    type_into(qtbot, panel.field_widget("train.lr_g"), "1e-4")
    assert panel.reset_note.isHidden()
    assert panel.apply_button.isEnabled()
    with qtbot.waitSignal(panel.apply_requested, timeout=1000) as blocker, \
            qtbot.assertNotEmitted(panel.reset_requested):
        click(qtbot, panel.apply_button)
    cfg = blocker.args[0]
    assert isinstance(cfg, Config)
    assert cfg.train.lr_g == 1e-4
    assert cfg.runs.estimators == load_preset("default").runs.estimators
    assert not panel.apply_button.isEnabled(), "applied: nothing left to apply"
    assert panel.applied_config() == cfg


def test_enter_applies_and_reverting_clears_dirty(qtbot, panel):
    edit = panel.field_widget("train.beta1")
    type_into(qtbot, edit, "0.9")
    assert panel.is_dirty()
    type_into(qtbot, edit, "0.5")
    assert not panel.is_dirty() and not panel.apply_button.isEnabled()
    type_into(qtbot, edit, "0.8")
    with qtbot.waitSignal(panel.apply_requested, timeout=1000) as blocker:
        qtbot.keyClick(edit, Qt.Key_Return)
    assert blocker.args[0].train.beta1 == 0.8


def test_reset_field_offers_reset(qtbot, panel, monkeypatch):
    asked = []
    monkeypatch.setattr(panel, "_confirm_reset", lambda fields: asked.append(fields) or False)
    type_into(qtbot, panel.field_widget("model.g_hidden"), "64, 64, 64")
    assert panel.reset_note.isVisibleTo(panel)
    assert "G widths" in panel.reset_note.text()
    assert panel.reset_button.styleSheet(), "reset button highlighted"
    assert panel.pending_reset_fields() == ["model.g_hidden"]
    with qtbot.assertNotEmitted(panel.apply_requested), \
            qtbot.assertNotEmitted(panel.reset_requested):
        click(qtbot, panel.apply_button)
    assert asked == [["model.g_hidden"]]
    assert panel.field_widget("model.g_hidden").text() == "64, 64, 64"

    monkeypatch.setattr(panel, "_confirm_reset", lambda fields: True)
    with qtbot.waitSignal(panel.reset_requested, timeout=1000) as blocker, \
            qtbot.assertNotEmitted(panel.apply_requested):
        click(qtbot, panel.apply_button)
    assert blocker.args[0].model.g_hidden == [64, 64, 64]
    assert panel.reset_note.isHidden() and not panel.apply_button.isEnabled()


def test_reset_button_emits_even_when_clean(qtbot, panel):
    with qtbot.waitSignal(panel.reset_requested, timeout=1000) as blocker:
        click(qtbot, panel.reset_button)
    assert blocker.args[0] == load_preset("default")


def test_loading_preset_fills_form_without_applying(qtbot, panel):
    combo = panel.presets.combo
    with qtbot.assertNotEmitted(panel.apply_requested), \
            qtbot.assertNotEmitted(panel.reset_requested):
        combo.textActivated.emit("pacgan-grid")
    assert combo.currentText() == "pacgan-grid"
    assert "PacGAN" in combo.toolTip()
    assert panel.field_widget("model.g_hidden").text() == "400, 400, 400, 400"
    assert panel.field_widget("data.name").currentText() == "grid25"
    assert panel.field_widget("train.lr_d").text() == "0.0001"
    assert panel.current_config() == load_preset("pacgan-grid")
    assert panel.apply_button.isEnabled() and panel.reset_note.isVisibleTo(panel)
    # dataset-dependent rows: grid spacing shown, ring radius hidden
    assert panel.field_widget("data.spacing").isVisibleTo(panel)
    assert not panel.field_widget("data.radius").isVisibleTo(panel)


def test_preset_keeps_enabled_estimators(qtbot):
    cfg = load_preset("default").with_overrides({"runs": {"estimators": ["plugin", "score"]}})
    w = SettingsPanel(cfg)
    qtbot.addWidget(w)
    w.load_preset("veegan-ring")
    assert w.current_config().runs.estimators == ["plugin", "score"]


def shown_preset(panel: SettingsPanel) -> str:
    """The text the Preset box shows (its placeholder when no item is current)."""
    combo = panel.presets.combo
    return combo.currentText() if combo.currentIndex() >= 0 else combo.placeholderText()


@pytest.mark.parametrize("name", preset_names())
def test_preset_box_names_the_loaded_preset(qtbot, name):
    w = SettingsPanel(load_preset(name))
    qtbot.addWidget(w)
    assert w.presets.combo.currentIndex() >= 0
    assert shown_preset(w) == name == w.matching_preset()
    assert w.presets.combo.toolTip().startswith(f"<p><b>preset {name}</b>")


def test_preset_box_ignores_what_loading_keeps(qtbot):
    """Estimators, device and custom modes survive a preset load, so they do not unmatch."""
    cfg = load_preset("veegan-grid").with_overrides(
        {"runs": {"estimators": ["plugin", "score"]}, "train": {"device": "cpu"}})
    w = SettingsPanel(cfg)
    qtbot.addWidget(w)
    assert shown_preset(w) == "veegan-grid"
    w.load_preset("default")
    assert shown_preset(w) == "default"
    assert w.current_config().train.device == "cpu"
    assert w.current_config().runs.estimators == ["plugin", "score"]


def test_preset_box_says_custom_when_nothing_matches(qtbot):
    w = SettingsPanel(load_preset("default").with_overrides({"train": {"lr_d": 5e-4}}))
    qtbot.addWidget(w)
    assert w.presets.combo.currentIndex() == -1 and w.matching_preset() is None
    assert shown_preset(w) == "custom"
    assert "match no bundled preset" in w.presets.combo.toolTip()
    w.load_preset("pacgan-ring")
    assert shown_preset(w) == "pacgan-ring"


def test_preset_box_follows_edits(qtbot, panel):
    edit = panel.field_widget("train.lr_d")
    original = edit.text()
    assert shown_preset(panel) == "default"
    type_into(qtbot, edit, "0.0005")
    assert shown_preset(panel) == "default (modified)"
    assert panel.presets.combo.currentIndex() == -1
    type_into(qtbot, edit, "abc")  # does not parse: matches nothing
    assert shown_preset(panel) == "default (modified)"
    type_into(qtbot, edit, original)
    assert shown_preset(panel) == "default"
    panel.set_config(load_preset("default").with_overrides({"model": {"g_hidden": [64]}}))
    assert shown_preset(panel) == "custom"


def test_preset_box_shows_the_name_on_screen(qtbot, panel):
    """What the user sees: the closed box paints the preset name, then the placeholder."""
    combo = panel.presets.combo
    panel.show()
    qtbot.waitExposed(panel)
    from PySide6.QtWidgets import QStyleOptionComboBox

    option = QStyleOptionComboBox()
    combo.initStyleOption(option)
    assert option.currentText == "default"
    before = combo.grab().toImage()
    type_into(qtbot, panel.field_widget("train.lr_g"), "0.002")
    assert combo.grab().toImage() != before  # the placeholder "default (modified)" is painted


def test_lists_and_scientific_notation_parse(qtbot, panel):
    type_into(qtbot, panel.field_widget("runs.sigmas"), "0.05, 0.1")
    type_into(qtbot, panel.field_widget("runs.seeds"), "0, 1 2")
    type_into(qtbot, panel.field_widget("train.lr_d"), "1E-4")
    cfg = panel.current_config()
    assert cfg.runs.sigmas == [0.05, 0.1] and cfg.runs.seeds == [0, 1, 2]
    assert cfg.train.lr_d == 1e-4
    type_into(qtbot, panel.field_widget("model.d_hidden"), "64, x")
    with pytest.raises(ConfigError) as info:
        panel.current_config()
    assert info.value.field == "model.d_hidden"


def test_cross_field_error_is_mapped(qtbot, panel):
    type_into(qtbot, panel.field_widget("runs.sigma_init"), "0.0001")  # below sigma_min
    click(qtbot, panel.reset_button)
    assert panel.error_label.text().startswith("Initial σ: ")
    assert panel.field_widget("runs.sigma_init").styleSheet()


def test_custom_dataset_shows_modes(qtbot, panel):
    combo = panel.field_widget("data.name")
    combo.setCurrentText("custom")
    assert panel.field_widget("data.means").isVisibleTo(panel)
    assert panel.field_widget("data.means").text().startswith("0 modes")
    with pytest.raises(ConfigError) as info:
        panel.current_config()
    assert info.value.field == "data.means"
    panel.set_modes([[0.0, 0.0], [1.0, 1.0]])
    assert panel.field_widget("data.means").text().startswith("2 modes — click a panel")
    cfg = panel.current_config()
    assert cfg.data.name == "custom" and cfg.data.means == [[0.0, 0.0], [1.0, 1.0]]


def test_mark_applied_adopts_outside_changes(qtbot, panel):
    type_into(qtbot, panel.field_widget("train.lr_g"), "5e-4")  # pending user edit
    outside = load_preset("default").with_overrides(
        {"data": {"name": "custom", "means": [[1.0, 0.0]]}, "train": {"lr_d": 2e-3}})
    panel.mark_applied(outside)
    cfg = panel.current_config()
    assert cfg.data.name == "custom" and cfg.data.means == [[1.0, 0.0]]
    assert cfg.train.lr_d == 2e-3 and cfg.train.lr_g == 5e-4


def test_set_config_does_not_emit(qtbot, panel):
    with qtbot.assertNotEmitted(panel.apply_requested), \
            qtbot.assertNotEmitted(panel.reset_requested):
        panel.set_config(load_preset("veegan-grid"))
    assert panel.is_dirty()


def dark_palette():
    from PySide6.QtGui import QColor, QPalette

    pal = QPalette()
    for role, colour in ((QPalette.Window, "#2b2d31"), (QPalette.WindowText, "#e6e6e6"),
                         (QPalette.Base, "#1e1f22"), (QPalette.AlternateBase, "#2b2d31"),
                         (QPalette.Text, "#e6e6e6"), (QPalette.Button, "#34363b"),
                         (QPalette.ButtonText, "#e6e6e6"), (QPalette.ToolTipBase, "#1e1f22"),
                         (QPalette.ToolTipText, "#e6e6e6")):
        pal.setColor(role, QColor(colour))
    pal.setColor(QPalette.Disabled, QPalette.Text, QColor("#7a7d85"))
    pal.setColor(QPalette.Disabled, QPalette.ButtonText, QColor("#7a7d85"))
    return pal


@pytest.mark.parametrize("dark", [False, True])
def test_screenshot(qtbot, dark, tmp_path):
    app = QApplication.instance()
    old = app.palette()
    if dark:
        app.setPalette(dark_palette())
    try:
        w = SettingsPanel(load_preset("default"))
        qtbot.addWidget(w)
        w.resize(330, 1000)
        w.show()
        qtbot.waitExposed(w)
        qtbot.wait(20)  # let pending layout requests run
        suffix = "-dark" if dark else ""
        assert w.grab().save(str(tmp_path / f"settings{suffix}.png"))
        w.hide()
        type_into(qtbot, w.field_widget("train.lr_d"), "abc")
        type_into(qtbot, w.field_widget("model.g_hidden"), "64, 64")
        click(qtbot, w.apply_button)
        w.show()
        qtbot.waitExposed(w)
        qtbot.wait(20)
        assert w.error_label.isVisible() and w.reset_note.isVisible()
        assert w.grab().save(str(tmp_path / f"settings-error{suffix}.png"))
    finally:
        app.setPalette(old)


def test_form_rows_follow_the_declarations(panel):
    """Every declared form field has its row, in the declared group and order, with its label."""
    from PySide6.QtWidgets import QFormLayout, QGroupBox

    from ganviz.core.config import form_settings

    boxes = panel.findChildren(QGroupBox)
    declared = form_settings()
    assert [b.title().replace("&&", "&") for b in boxes] == list(declared)
    for box, specs in zip(boxes, declared.values(), strict=True):
        form = box.layout()
        shown = []
        for row in range(form.rowCount()):
            item = form.itemAt(row, QFormLayout.FieldRole) or \
                form.itemAt(row, QFormLayout.SpanningRole)
            shown.append(item.widget())
        assert shown == [panel.field_widget(s.key) for s in specs]
        for s in specs:
            label = form.labelForField(panel.field_widget(s.key))
            text = label.text() if label is not None else panel.field_widget(s.key).text()
            assert text == s.label


def test_spin_box_bounds_equal_the_declarations(panel):
    from PySide6.QtWidgets import QSpinBox

    from ganviz.core.config import SETTINGS

    spins = {key: s for key, s in SETTINGS.items()
             if s.group and s.type is int and not s.choices}
    assert len(spins) >= 8
    for key, s in spins.items():
        box = panel.field_widget(key)
        assert isinstance(box, QSpinBox), key
        low = s.ge if s.ge is not None else s.gt + 1
        assert (box.minimum(), box.maximum()) == (low, min(s.le, 2**31 - 1)), key
        assert box.specialValueText() == s.special


def test_tooltips_carry_help_range_and_live_flag(panel):
    import html

    from ganviz.core.config import SETTINGS, range_text

    for key, s in SETTINGS.items():
        if not s.group or key == "data.means":
            continue
        tip = html.unescape(panel.field_widget(key).toolTip())
        assert tip.startswith(f"<p><b>{key}</b><br>{s.help}"), key
        rng = range_text(key)
        assert (f"Allowed: {rng}" in tip) == bool(rng), key
        assert tip.endswith("Applies at the next step.</p>" if s.live else
                            "Changing it needs a reset.</p>"), key
    assert "Allowed: (σ min, 100]." in html.unescape(
        panel.field_widget("runs.sigma_init").toolTip())


def test_declared_conditions_show_and_enable_rows(panel):
    from ganviz.core.config import SETTINGS

    for dataset in ("ring8", "grid25", "custom"):
        panel.field_widget("data.name").setCurrentText(dataset)
        for key, s in SETTINGS.items():
            if s.group and s.shown_if and s.shown_if[0] == "data.name":
                assert panel.field_widget(key).isVisibleTo(panel) == (dataset in s.shown_if), key
    for optimizer in ("adam", "sgd"):
        panel.field_widget("train.optimizer").setCurrentText(optimizer)
        for key in ("train.beta1", "train.beta2", "train.momentum"):
            expected = optimizer in SETTINGS[key].enabled_if
            assert panel.field_widget(key).isEnabled() == expected, key
