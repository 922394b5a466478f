"""The Help page and the tooltips: every layer, curve and estimator has its text, written once
(``ganviz.core.help_text``) and shown by the dialog, the toolbar, the curves and the panels."""

from __future__ import annotations

import re

import pytest

from ganviz.core import help_text, names
from ganviz.core.contract import RunSpec
from ganviz.engine import metrics
from ganviz.views import theme
from ganviz.views.viewstate import LAYERS, ViewState


@pytest.fixture
def curves(qtbot):
    from ganviz.views.curves import CurvesPanel

    theme.configure_pyqtgraph()
    panel = CurvesPanel()
    qtbot.addWidget(panel)
    return panel


# ------------------------------------------------------------------ the text itself

def test_every_layer_curve_and_estimator_has_a_section_and_a_tip(curves):
    """A new layer, curve plot or estimator without its text fails here (and no section
    describes something that is gone)."""
    from ganviz.views.curves import PLOT_NAMES

    assert set(help_text.LAYER_SECTIONS) == set(LAYERS)
    assert set(help_text.CURVE_SECTIONS) == set(curves.plots()) == set(PLOT_NAMES)
    assert set(help_text.ESTIMATOR_SECTIONS) == set(names.ESTIMATORS)
    for name in LAYERS:
        assert help_text.section(help_text.LAYER_SECTIONS[name]).text
        assert help_text.layer_tip(name)
    for name in curves.plots():
        assert help_text.section(help_text.CURVE_SECTIONS[name]).text
        assert help_text.curve_tip(name)
    for est in names.ESTIMATORS:
        assert help_text.estimator_tip(est)
    assert help_text.layer_tip("no such layer") == ""


def test_sections_are_ordered_unique_and_cover_the_chapters():
    ids = [s.id for s in help_text.SECTIONS]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)
    chapters = [s.id for s in help_text.SECTIONS if s.level == 1]
    assert chapters == ["overview", "estimators", "layers", "colours", "curves", "equation1"]
    with pytest.raises(KeyError, match="no help section 'nope'"):
        help_text.section("nope")


def test_texts_use_only_the_allowed_inline_tags():
    """The same text renders as HTML (window) and Markdown (docs): no other markup."""
    allowed = "|".join(help_text.INLINE_TAGS)
    for s in help_text.SECTIONS:
        for text in (s.title, s.text, s.tip):
            rest = re.sub(rf"</?(?:{allowed})>", "", text)
            assert "<" not in rest, (s.id, text)  # a bare < could open a tag in Markdown


def test_links_point_at_sections_and_render_as_links():
    ids = {s.id for s in help_text.SECTIONS}
    targets = [t for s in help_text.SECTIONS for _, t in re.findall(help_text.LINK, s.text)]
    assert targets and set(targets) <= ids
    assert '<a href="#layer-smooth">σ-smoothed field</a>' in help_text.to_html()
    assert "](#" not in help_text.plain(help_text.section("estimator-plugin").text)


def test_estimator_tip_says_what_it_is_its_gradient_and_what_the_toggle_does():
    tip = help_text.estimator_tip("score")
    assert tip.startswith("Score function (REINFORCE)\nGradient:")
    assert "Gradient: (f(x) − b) ∇_θ log N(x; μ(z), σ²I)" in tip.replace("\n", " ")
    assert "leave-one-out" in tip and "Off: hide" in tip
    assert all(len(line) <= help_text.TIP_WIDTH for line in tip.split("\n"))


def test_facts_match_the_code():
    """The numbers the text quotes are the code's."""
    assert help_text.HQ_STDS == metrics.HQ_STDS
    assert f"within {metrics.HQ_STDS:g} stds" in help_text.section("curve-hq-fraction").text
    from ganviz.core.config import Config
    from ganviz.engine.equation1 import SIGMA_HI, SIGMA_LO

    cfg = Config()
    eq1 = help_text.section("equation1").text
    assert f"from {SIGMA_LO:g} to {SIGMA_HI:g}" in eq1
    assert f"default {cfg.eval.grad_var_batches}" in help_text.section("curve-grad-rel-var").text
    assert f"default {cfg.eval.js_bins}" in help_text.section("curve-js-divergence").text
    assert f"default {cfg.eval.samples}" in help_text.section("curve-modes").text
    assert f"default {cfg.train.sigma_min:g}" in help_text.section(
        "estimator-reparam-learned").text


def test_markdown_and_html_carry_every_section():
    md, page = help_text.to_markdown(), help_text.to_html()
    for s in help_text.SECTIONS:
        assert f'<a id="{s.id}"></a>' in md and f"# {s.title}" in md
        assert f'<a name="{s.id}"></a>' in page
    assert "<ul><li>" in page and "- <b>relative bias</b>" in md


# ------------------------------------------------------------------ the window's parts

def test_toolbar_tooltips_are_the_help_strings(qtbot):
    from ganviz.gui.toolbar import TrainingToolbar

    bar = TrainingToolbar(ViewState.default())
    qtbot.addWidget(bar)
    for est, button in bar.estimator_buttons.items():
        assert button.toolTip() == help_text.estimator_tip(est)
    for name, action in bar.layer_actions.items():
        assert action.toolTip() == help_text.layer_tip(name)
    assert bar.layers_menu.toolTipsVisible()


def test_every_curve_plot_has_its_tooltip(curves):
    for name, plot in curves.plots().items():
        assert plot.toolTip() == help_text.curve_tip(name), name


def test_panel_title_tooltip_follows_layers_and_state(qtbot):
    from ganviz.views.panel_grid import PanelGrid

    state = ViewState.default()
    grid = PanelGrid(state)
    qtbot.addWidget(grid)
    grid.set_runs([RunSpec(index=0, estimator="reparam_learned", seed=3, sigma=0.1,
                           learned_sigma=True)])
    panel = grid.panels[0]
    tip = panel.plot.titleLabel.toolTip()
    assert tip.startswith(names.FULL_NAMES["reparam_learned"] + " · σ learned · seed 3")
    def shows(layer: str) -> bool:
        words = help_text.section(help_text.LAYER_SECTIONS[layer]).tip.split()[:6]
        return "• " + " ".join(words) in " ".join(panel.plot.titleLabel.toolTip().split())

    assert shows("density") and not shows("disc")
    state.set_layer("disc", True)
    assert shows("disc")
    panel.set_title(diverged=False, active=False)
    assert "seed 3 · paused" in " ".join(panel.plot.titleLabel.toolTip().split())
    panel.set_title(diverged=True, active=True)
    assert "seed 3 · diverged (frozen)" in " ".join(panel.plot.titleLabel.toolTip().split())
    assert not panel.plot.toolTip()  # the data area stays free for hovering


# ------------------------------------------------------------------ the dialog

@pytest.mark.qt_log_ignore("This plugin does not support raise")
def test_help_menu_opens_a_non_modal_dialog_with_every_section(qtbot):
    from PySide6.QtWidgets import QMainWindow

    from ganviz.gui.help import TITLE, HelpDialog, add_help_action

    main = QMainWindow()
    qtbot.addWidget(main)
    main.resize(1024, 700)
    main.show()
    action = add_help_action(main.menuBar().addMenu("&Help"), main)
    assert action.text() == TITLE and action.shortcut().toString() == "F1"
    action.trigger()
    dialog = main._help_dialog
    assert isinstance(dialog, HelpDialog)
    qtbot.waitExposed(dialog)
    assert dialog.isVisible() and not dialog.isModal()
    text = dialog.browser.toPlainText()
    for s in help_text.SECTIONS:
        assert help_text.plain(s.title) in text, s.title
    assert "<" not in text.replace("Help >", "")  # the inline tags were rendered, not shown
    action.trigger()
    assert main._help_dialog is dialog  # one page per window, raised again


def test_dialog_opens_at_a_section_and_its_chips_are_drawn(qtbot):
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument

    from ganviz.gui.help import HelpDialog, swatch_images

    dialog = HelpDialog()
    qtbot.addWidget(dialog)
    dialog.resize(700, 500)
    dialog.show()
    qtbot.waitExposed(dialog)
    bar = dialog.browser.verticalScrollBar()
    assert bar.maximum() > 0 and bar.value() == 0
    dialog.show_section("equation1")
    assert bar.value() > bar.maximum() // 2
    roles = {s.swatch for s in help_text.SECTIONS if s.swatch}
    assert roles <= set(swatch_images())
    doc = dialog.browser.document()
    for role in roles:
        image = doc.resource(QTextDocument.ResourceType.ImageResource, QUrl(f"swatch:{role}"))
        assert image is not None and not image.isNull(), role
    with pytest.raises(KeyError):
        dialog.show_section("nope")


def test_dialog_fits_a_small_screen(qtbot):
    from ganviz.gui.help import SCREEN_SHARE, SIZE, HelpDialog

    dialog = HelpDialog()
    qtbot.addWidget(dialog)
    screen = dialog.screen().availableGeometry()
    assert dialog.width() <= min(SIZE[0], screen.width() * SCREEN_SHARE)
    assert dialog.height() <= min(SIZE[1], screen.height() * SCREEN_SHARE)
