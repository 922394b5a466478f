"""What the window shows, written once: the Help page's sections and the tooltips derived from
them, for the window (its Help page, gui/help.py) and for the documentation site alike.

No Qt: the docs build imports this module (``to_markdown``) as the window does (``to_html``).

A section has an id (its anchor), a title, a text and, for an entry that a widget shows, a
short tooltip. Texts are light Markdown that both renderers understand: paragraphs separated
by blank lines, lines starting with ``- `` form a list, `backticks` mark code, [text](#id)
links to a section, and the inline HTML tags ``<b> <i> <sub> <sup>`` may be used (nothing
else: a bare ``<`` is not allowed).
The facts are those of the code: ``metrics.py`` (modes, quality, KL, JS, energy, gradient
variance), ``estimators.py`` (the four gradients), ``probes.py`` (density, D, fields),
``equation1.py`` (the equation-1 curves); keep them in step.
"""

from __future__ import annotations

import html
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from ganviz.core.names import ESTIMATORS, FULL_NAMES

HQ_STDS = 3.0  # ganviz.engine.metrics.HQ_STDS (not imported: it brings torch into the window)
INLINE_TAGS = ("b", "i", "sub", "sup")
LINK = r"\[([^\]]+)\]\(#([a-z0-9-]+)\)"  # [text](#section-id)


@dataclass(frozen=True)
class Section:
    """One part of the Help page: a chapter (level 1) or an entry under it (level 2).

    ``swatch`` names the colour (or colour map) the window draws beside an entry's title
    (see gui/help.py), empty for none; ``tip`` is the entry's tooltip, empty for
    sections no widget shows.
    """

    id: str
    title: str
    text: str
    tip: str = ""
    level: int = 2
    swatch: str = ""


# ----------------------------------------------------------------------------- estimators

GRADIENTS: dict[str, str] = {  # each estimator's estimate of grad_theta J, in one line
    "plugin": "∇<sub>θ</sub> f(μ(z)): f's gradient at the mean (Goodfellow's substitution; "
              "exact only as σ → 0, equation 1)",
    "reparam_fixed": "∇<sub>θ</sub> f(μ(z) + σε): pathwise, through μ, with σ a constant",
    "reparam_learned": "∇<sub>θ</sub> f(μ(z) + σ(z)ε): pathwise, through μ and σ(z)",
    "score": "(f(x) − b) ∇<sub>θ</sub> log N(x; μ(z), σ²I), x drawn and held fixed, "
             "b the leave-one-out batch mean of f (REINFORCE)",
}
TOGGLE_TIP = ("On: show and train its runs. Off: hide its panel and curves and pause its runs "
              "(also through Reset).")

_ESTIMATOR_TEXT: dict[str, str] = {
    "plugin": (
        "D is shown μ(z) + σε with σ a hyperparameter (Settings: <i>Plug-in σ</i>; default 0, "
        "the vanilla GAN), but the generator's gradient ignores the noise: f and its gradient "
        "are taken at the mean μ(z). For σ > 0 this is biased: the generator follows the plain "
        "field −∇f ([Field −∇f on a grid](#layer-field)) where its expected loss has the "
        "σ-smoothed field ([σ-smoothed field](#layer-smooth)). [Equation 1](#equation1) says "
        "the two agree as "
        "σ → 0; the equation-1 curves show how far apart they are at each σ."),
    "reparam_fixed": (
        "The reparameterization trick with a fixed σ (Settings: <i>Fixed σ</i>, one run per "
        "value, optionally on a <i>Schedule</i>): x = μ(z) + σε is what D sees and where f's "
        "gradient is taken, so the estimate is unbiased for the smoothed loss "
        "E<sub>ε</sub> f(μ(z) + σε). Only μ learns."),
    "reparam_learned": (
        "The generator also outputs its conditional scale: σ(z) = σ<sub>min</sub> + "
        "softplus(s(z)) (Settings: <i>σ min</i>, the floor, default 0.001; <i>Initial σ</i>), "
        "or with <i>Learned Σ(z)</i> one σ per axis (diagonal) or x = μ(z) + L(z)ε with "
        "L lower-triangular (full covariance L L<sup>T</sup>). The pathwise gradient flows "
        "through μ and σ (Kingma & Welling 2014; Rezende et al. 2014): the paper's "
        "\"backpropagate to the covariance parameter as well as the mean\". Its fakes are "
        "coloured by log σ(z); a learned diagonal or full covariance also draws ellipses."),
    "score": (
        "The score function (REINFORCE): x ~ N(μ(z), σ²I) is drawn and detached, and f(x) "
        "weights the gradient of log N(x; μ(z), σ²I), minus a baseline b: for each sample the "
        "mean of f over the other samples of its batch (leave-one-out), which keeps the "
        "estimate unbiased and lowers its variance. It needs no gradient of f, only its "
        "values, and σ > 0. σ is fixed (<i>Fixed σ</i>) or learned like reparam learned "
        "(<i>Score uses learned σ(z)</i>). Its noise grows like 1/σ as σ → 0 (the dotted "
        "equation-1 curve)."),
}

# ----------------------------------------------------------------------------- layers

_LAYERS: dict[str, tuple[str, str, str]] = {  # name -> (title, tip, text)
    "real": (
        "Real data (2-std contours)",
        "Real data: a circle (anisotropic modes: an ellipse) of 2 stds around each mode of "
        "the mixture; file data as small crosses",
        "A circle of radius 2 stds around every mode of the data mixture (for anisotropic "
        "modes, the 2-std ellipse), where about 86 % of that mode's samples fall. Data from "
        "a file is drawn as small crosses, one per point. A good generator puts its density "
        "inside these contours, in every one of them."),
    "density": (
        "Generator density p(x)",
        "Generator density: log10 p(x) of the model, p(x) = E_z N(x; μ(z), σ(z)²I), "
        "on the colour bar's scale",
        "The model's density p(x) = E<sub>z</sub> N(x; μ(z), σ(z)²I) (or Σ(z)), averaged "
        "over a fixed set of latent draws (Settings: <i>Density draws</i>) and drawn as "
        "log<sub>10</sub> p(x) on the colour bar at the right: its top is the peak density of "
        "the real data, and it spans three decades below it. So a mode the generator covers "
        "as tightly as the data is as bright as the data's own peak would be.\n\n"
        "A kernel narrower than one image cell cannot be drawn, so every σ is floored at one "
        "cell, h. The panel's caption says when this happens (\"σ floored at h for 46 % of "
        "draws\"). A run with σ = 0 (the vanilla plug-in) has no Gaussian to draw: its image "
        "is a kernel density estimate of the means μ(z) with bandwidth h (\"KDE\")."),
    "disc": (
        "Discriminator D(x)",
        "Discriminator D(x): the probability D gives x of being real, 0 to 1 on a diverging "
        "map (middle: 0.5)",
        "D(x) = sigmoid(l(x)), the probability the discriminator assigns to x being real, on "
        "a diverging colour map from 0 (judged fake) through 0.5 (undecided) to 1 (judged "
        "real). Over the density it is drawn half transparent. At the GAN's equilibrium D is "
        "0.5 wherever data or model put mass."),
    "fakes": (
        "Fake samples",
        "Fake samples x = μ(z) + σ(z)ε from fixed latents; learned-σ runs coloured by "
        "log σ(z)",
        "Model samples x = μ(z) + σε (Settings: <i>Fakes</i>, how many). The latents z and "
        "noises ε are fixed, so each dot follows its own z as the generator trains. Runs with "
        "a fixed σ draw them in one plain colour; learned-σ runs colour each by its log σ(z) "
        "([colours](#colour-sigma)). With a learned diagonal or full covariance, 40 of them, "
        "spread over the batch, also carry the 2-std ellipse of their Gaussian N(μ(z), Σ(z))."),
    "field": (
        "Field −∇f on a grid",
        "−∇f on a grid: the direction the generator's loss f moves a sample at each point",
        "−∇<sub>x</sub> f(x) on a regular grid (Settings: <i>Field grid</i>), f the generator's "
        "per-sample loss (−log D(x) by default): the direction that gradient descent on the "
        "generator pushes a sample at x, for the current D. The plug-in estimator follows "
        "this field at μ(z). All arrows of a panel share one scale: the 95th-percentile "
        "magnitude is drawn about one grid cell long and longer arrows are clipped at 1.5 "
        "times that, so lengths compare within a panel, not across panels."),
    "fake_field": (
        "Field −∇f at the fakes",
        "−∇f at each fake sample: where the current D pushes it",
        "The same −∇<sub>x</sub> f, drawn at each fake sample (shorter arrows): where the "
        "current discriminator pushes each sample. Arrows that point towards the modes mean "
        "D is leading the generator the right way."),
    "smooth": (
        "σ-smoothed field",
        "σ-smoothed field −E_ε ∇f(x + σε): what a σ-noisy generator follows on average",
        "−E<sub>ε</sub> ∇<sub>x</sub> f(x + σε) on the same grid, a Monte Carlo average over a "
        "few noise draws in antithetic pairs (Settings: <i>Smoothing draws</i>), with σ the "
        "run's fixed σ or, learned, its mean σ(z). This is the field the pathwise estimators "
        "follow in expectation. Where it differs from −∇f, the plug-in's gradient at the mean "
        "is biased (equation 1); with σ = 0 the two are the same."),
    "manifold": (
        "Generator manifold (z-grid)",
        "Generator manifold: the image μ(z) of a grid of latents (latent dimension 2)",
        "The image μ(z) of a square grid of latents (Settings: <i>Manifold lines</i>; over "
        "±2.5 for a normal latent, ±1 for a uniform one): how the generator folds and "
        "stretches the latent plane onto the data. Only for a 2-D latent."),
}

# ----------------------------------------------------------------------------- colours

_COLOURS: tuple[tuple[str, str, str], ...] = (  # (swatch role, title, text)
    ("density", "Density map: log10 p(x)",
     "A perceptually uniform map: brighter is more probable. The colour bar gives "
     "log<sub>10</sub> p(x); its top is the data's peak density, three decades span it."),
    ("disc", "D(x) map",
     "A diverging map from D = 0 (judged fake) to D = 1 (judged real), neutral at 0.5."),
    ("sigma", "Fakes coloured by log σ(z)",
     "Learned-σ runs colour each fake by log<sub>10</sub> σ(z) (a learned covariance: "
     "√(trace Σ(z) / 2)), from two decades below the data's mode std (file data: its "
     "typical point spacing) at the map's low end to one decade above it at the high end; "
     "fixed-σ runs draw their fakes in one plain colour."),
    ("field", "Field arrows −∇f",
     "−∇f on the grid; the arrows at the fakes ([Field −∇f at the fakes](#layer-fake-field)) "
     "have a colour of their own and are shorter."),
    ("smooth", "σ-smoothed arrows",
     "−E<sub>ε</sub> ∇f(x + σε). Where they and the −∇f arrows disagree, the plug-in's "
     "gradient at the mean is biased."),
    ("estimators", "Estimator colours",
     "One colour per estimator, the same everywhere: toolbar toggles, panel frames and "
     "titles, curves. Several σ of one estimator are shades of its colour, darker to "
     "lighter as σ grows. With several seeds per setting a curve is the median over seeds "
     "in a 10–90 % band."),
    ("ellipses", "Ellipses: learned covariance",
     "With a learned diagonal or full covariance, the 2-std ellipse of N(μ(z), Σ(z)) around "
     "the mean of 40 fakes spread over the batch."),
    ("real", "Real-data contours",
     "Circles (ellipses for anisotropic modes) of 2 stds around each data mode; file "
     "data as crosses."),
)

# ----------------------------------------------------------------------------- curves

_CURVES: dict[str, tuple[str, str, str]] = {  # plot name -> (title, tip, text)
    "loss": (
        "Loss: D —, G --",
        "D loss (solid): −mean log D(real) − mean log(1 − D(fake)); G loss (dashed): the "
        "generator's mean f on its last batch",
        "Both from the last training step before each evaluation. D loss (solid) is the "
        "binary cross-entropy −mean log D(real) − mean log(1 − D(fake)): 2 log 2 ≈ 1.39 "
        "when D is 0.5 everywhere. G loss (dashed) is the generator's f averaged over its "
        "batch, at its evaluation points (the plug-in: at μ(z)): with f = −log D(x), log 2 "
        "≈ 0.69 when D is 0.5. A D loss falling to 0 means D wins outright."),
    "modes": (
        "Modes captured",
        f"Modes with at least one high-quality sample (within {HQ_STDS:g} stds) nearest to "
        "them, of the evaluation's model samples",
        f"Each evaluation draws fresh model samples (Settings: <i>Eval samples</i>, default "
        f"2500) and assigns each to its nearest mode. A mode is captured when it is the "
        f"nearest mode of at least one high-quality sample, one within {HQ_STDS:g} stds of it "
        f"(for anisotropic modes: inside its {HQ_STDS:g}-std ellipse, by the Mahalanobis "
        "distance). The axis runs up to the number of modes. Empty for file data without "
        "centres."),
    "hq_fraction": (
        "High quality",
        f"Fraction of model samples within {HQ_STDS:g} stds of their nearest mode",
        f"The fraction of the evaluation's model samples within {HQ_STDS:g} stds of their "
        f"nearest mode (anisotropic modes: inside its {HQ_STDS:g}-std ellipse). The data's "
        "own samples score 98.9 % (1 − e<sup>−4.5</sup>). A generator that covers every mode "
        "but with blurred samples has a low fraction; one that collapses onto one mode can "
        "still score 1."),
    "reverse_kl": (
        "Reverse KL (modes)",
        "KL(q ‖ p) between the share q of samples nearest to each mode and the mixture "
        "weights p",
        "KL(q ‖ p) = Σ<sub>k</sub> q<sub>k</sub> log(q<sub>k</sub> / p<sub>k</sub>), where "
        "q<sub>k</sub> is the share of all the evaluation's samples (high quality or not) "
        "whose nearest mode is k and p<sub>k</sub> the mixture weight. 0 when the samples "
        "split over the modes as the data does; log(1 / smallest weight) (log 8 ≈ 2.08 on "
        "ring8) when all fall nearest one mode, the top of the axis. It sees mode balance, "
        "not sample quality."),
    "js_divergence": (
        "JS divergence",
        "Jensen-Shannon divergence (nats) between 2-D histograms of model and data samples",
        "The Jensen-Shannon divergence, in nats, between histograms of the model's and a "
        "fixed data sample's points on a grid of cells over the view (Settings: <i>JS "
        "bins</i> per axis, default 50; points outside fall in the border cells). 0 when the "
        "histograms match, at most log 2 ≈ 0.69. It sees mass per cell only: it cannot tell "
        "a slightly shifted mode from a right one inside a cell."),
    "energy_distance": (
        "Energy distance",
        "Energy distance 2E|X − Y| − E|X − X'| − E|Y − Y'| between model samples X and data "
        "samples Y",
        "2 E|X − Y| − E|X − X'| − E|Y − Y'| between the run's model samples X and a fixed "
        "data sample Y (Székely & Rizzo), exact over every pair. It is a metric on "
        "distributions, in the units of x, and needs no modes and no bins: 0 in expectation "
        "when model and data agree (so it can be slightly negative by noise), positive "
        "otherwise."),
    "grad_rel_var": (
        "Gradient noise",
        "E|g − ḡ|² / |ḡ|² of the generator's parameter gradient over independent minibatches "
        "(log axis)",
        "How noisy each estimator's gradient is: E|g − ḡ|² / |ḡ|², with g the generator's "
        "parameter-gradient estimate on one minibatch and ḡ the mean over several "
        "independent minibatches (Settings: <i>Gradient batches</i>, default 8). 1 means the "
        "noise is as large as the signal. Log axis."),
    "sigma": (
        "σ over training",
        "σ over training: fixed runs their σ; learned runs the mean σ(z) in a 10–90 % band "
        "(log axis)",
        "Fixed-σ runs draw their σ (flat, or along a <i>Schedule</i>); the fixed-σ lines "
        "of different estimators are dashed in turn, so lines that coincide stay visible. "
        "Learned runs draw the mean of σ(z) over the evaluation's samples in a band from "
        "its 10th to its 90th percentile; for a learned diagonal or full covariance, over "
        "both eigen-stds (square roots of Σ(z)'s eigenvalues) of every sample. σ = 0 has "
        "no place on the log axis and is not drawn. Does a learned σ(z) shrink towards "
        "σ<sub>min</sub>, settle near the data's std, or grow?"),
    "equation1": (
        "Equation 1 (the plot)",
        "Equation 1 for the selected run: the relative bias of ∇f at the mean, and the "
        "single-sample noise of the pathwise and score-function estimates, against σ",
        "The σ curves of the run selected by clicking its panel, for its current D and "
        "fakes, over σ from 0.001 to 1 (log-log); see [Equation 1](#equation1). Solid: the "
        "relative bias of the gradient at the mean. Dashed: the pathwise estimate's "
        "single-sample std. Dotted: the score-function estimate's. The vertical dashed line "
        "is the run's own σ now (learned: the mean σ(z))."),
}

# ----------------------------------------------------------------------------- page

_OVERVIEW = (
    "ganviz trains several small GANs on the same 2-D Gaussian mixture at once, one run per "
    "estimator of the generator's gradient, and draws them live. The generator maps a latent "
    "z ~ N(0, I) to a mean μ(z) and, for the learned-variance runs, a scale σ(z); a sample is "
    "x = μ(z) + σε, ε ~ N(0, I), so the model's density is p(x) = E<sub>z</sub> N(x; μ(z), "
    "σ²I). The discriminator D(x) (between 0 and 1) learns to tell data from samples; the "
    "generator minimises J(θ) = E<sub>z</sub> E<sub>ε</sub> f(x), with f(x) = −log D(x) "
    "(non-saturating, the default) or log(1 − D(x)) (minimax; Settings: <i>G loss</i>). The "
    "four estimators differ only in how they estimate ∇<sub>θ</sub>J.\n\n"
    "- <b>Run panels</b> (top): one per setting (estimator and σ), framed in the estimator's "
    "colour, all on the same data square and one colour scale. <b>Layers</b> (toolbar or "
    "View) switches what they draw. Hover a panel to read x, p(x), D(x) and −∇f in the "
    "status bar; click it to show its run in the equation-1 plot. With several seeds, the "
    "seed box in its title chooses the seed shown.\n"
    "- <b>Curves</b> (bottom dock): metrics over training steps, computed every <i>Eval "
    "every</i> steps, and the equation-1 curves of the selected run.\n"
    "- <b>Toolbar</b>: Play/Pause (Space), Step (S), Reset (Ctrl+R), speed, one toggle per "
    "estimator, Layers.\n\n"
    "Hover a panel's title, a curve or a toolbar toggle for a short note; this page has the "
    "long one (F1).")

_EQUATION1 = (
    "Equation 1 of Goodfellow et al. (2014):\n\n"
    "<b>lim<sub>σ→0</sub> ∇<sub>x</sub> E<sub>ε</sub> f(x + σε) = ∇<sub>x</sub> f(x)</b>\n\n"
    "A generator whose samples carry noise σ has the "
    "expected loss E<sub>ε</sub> f(μ + σε), and its true gradient is the σ-smoothed one; the "
    "plug-in estimator substitutes ∇f at the mean, which is exact only in the limit. The "
    "equation-1 plot measures this for the selected run (click a panel), for its current D, "
    "at a fixed set of fakes x<sub>i</sub> = μ(z<sub>i</sub>) (Settings: <i>Curve "
    "fakes</i>) with noise draws ε<sub>k</sub> in antithetic pairs (<i>Curve draws</i>), "
    "on a log grid of σ from 0.001 to 1 (<i>Curve points</i>):\n\n"
    "- <b>relative bias</b> (solid): Σ<sub>i</sub> |ĝ<sub>σ</sub>(x<sub>i</sub>) − "
    "∇f(x<sub>i</sub>)| / Σ<sub>i</sub> |∇f(x<sub>i</sub>)|, with ĝ<sub>σ</sub> the mean "
    "over k of ∇f(x<sub>i</sub> + σε<sub>k</sub>). It goes to 0 as σ → 0 (equation 1) and "
    "rises once σ reaches the scale on which D changes: how wrong the plug-in's gradient is "
    "at that σ.\n"
    "- <b>pathwise std</b> (dashed): the single-sample standard deviation of "
    "∇f(x<sub>i</sub> + σε), root-mean-square over the fakes. It stays bounded as σ → 0 "
    "(it shrinks with σ).\n"
    "- <b>score std</b> (dotted): the same for (f(x<sub>i</sub> + σε<sub>k</sub>) − "
    "b<sub>ik</sub>) ε<sub>k</sub> / σ, with the leave-one-out batch baseline "
    "b<sub>ik</sub> (the mean of f(x<sub>j</sub> + σε<sub>k</sub>) over the other fakes j), "
    "the default in training. It grows like 1/σ as σ → 0, because f(x<sub>i</sub>) − "
    "b<sub>ik</sub> does not vanish.\n"
    "- <b>score, at-mean</b> (dash-dot): the score function's std with the baseline "
    "f(x<sub>i</sub>), f at the sample's own mean (Settings: <i>Score baseline</i> "
    "at_mean). It cancels "
    "f(x<sub>i</sub>), so it stays bounded as σ → 0; the pathwise std still falls below "
    "it, like σ.\n\n"
    "All four are divided by the mean |∇f(x<sub>i</sub>)|, so they share one log-log plot, "
    "and 1 means \"as large as the gradient itself\". The vertical dashed line marks the "
    "run's own σ (learned: its mean σ(z); absent at σ = 0). Read the curves at that line: "
    "the solid one is the plug-in's bias had it this σ, the others the noise of one sample "
    "of the other estimators.")


def _layer_id(name: str) -> str:
    return f"layer-{name.replace('_', '-')}"


def _curve_id(name: str) -> str:
    return f"curve-{name.replace('_', '-')}"


def _estimator_id(name: str) -> str:
    return f"estimator-{name.replace('_', '-')}"


def _build() -> tuple[Section, ...]:
    out = [Section("overview", "What am I looking at?", _OVERVIEW, level=1),
           Section("estimators", "Estimators",
                   "Each estimator is a way to estimate ∇<sub>θ</sub> J(θ), the gradient of "
                   "the generator's expected loss. Its colour is used everywhere.", level=1)]
    for est in ESTIMATORS:
        out.append(Section(_estimator_id(est), FULL_NAMES[est],
                           f"<b>Gradient:</b> {GRADIENTS[est]}.\n\n{_ESTIMATOR_TEXT[est]}",
                           tip=estimator_tip_for(est), swatch=f"estimator:{est}"))
    out.append(Section("layers", "Layers",
                       "What a run panel can draw; <b>Layers</b> switches each for every "
                       "panel at once. The panel's title names the estimator (in its "
                       "colour; in full where the panels are wide, more briefly in every "
                       "panel alike where they are narrow), its σ and seed, and says when "
                       "the run is paused or diverged (frozen).", level=1))
    out += [Section(_layer_id(name), title, text, tip=tip, swatch=name)
            for name, (title, tip, text) in _LAYERS.items()]
    out.append(Section("colours", "Colours",
                       "Every colour in the panels, and what it encodes.", level=1))
    out += [Section(f"colour-{role}", title, text, swatch=role) for role, title, text in _COLOURS]
    out.append(Section("curves", "Curves",
                       "The curves dock: metrics of every shown run over training steps "
                       "(one line per run in its estimator's colour; with several seeds, the "
                       "median in a 10–90 % band, or one line per seed with <i>Per seed</i>), "
                       "and the equation-1 curves of the selected run.", level=1))
    out += [Section(_curve_id(name), title, text, tip=tip)
            for name, (title, tip, text) in _CURVES.items()]
    out.append(Section("equation1", "Equation 1", _EQUATION1, level=1))
    return tuple(out)


def estimator_tip_for(estimator: str) -> str:
    """The toolbar toggle's tooltip: what the estimator is, its gradient, what the toggle does
    (plain text)."""
    name = FULL_NAMES[estimator]
    return f"{name[:1].upper()}{name[1:]}\nGradient: {plain(GRADIENTS[estimator])}\n{TOGGLE_TIP}"


def section(section_id: str) -> Section:
    """The section with this id (KeyError names the known ids)."""
    try:
        return _BY_ID[section_id]
    except KeyError:
        raise KeyError(f"no help section {section_id!r}; known: {', '.join(_BY_ID)}") from None


def wrap(text: str, hint: bool = False) -> str:
    """A tooltip as shown: each line wrapped at ``TIP_WIDTH`` characters (Qt does not wrap
    plain-text tooltips), with the pointer to the Help page last if ``hint``."""
    lines = [*text.split("\n"), *([HELP_HINT] if hint else [])]
    return "\n".join(textwrap.fill(line, TIP_WIDTH, subsequent_indent="  " * line.startswith("• "))
                     for line in lines)


def layer_tip(name: str) -> str:
    """Tooltip of a layer (``gui.viewstate.LAYERS`` key), e.g. in the Layers menu; empty
    for a layer without a section (tests/core/test_help.py fails then)."""
    return _tip(LAYER_SECTIONS, name, hint=False)


def curve_tip(name: str) -> str:
    """Tooltip of a curve plot (``gui.curves.PLOT_NAMES`` entry); empty if it has no section."""
    return _tip(CURVE_SECTIONS, name, hint=True)


def estimator_tip(estimator: str) -> str:
    """Tooltip of an estimator's toolbar toggle: what it is, its gradient, what the toggle
    does; empty if it has no section."""
    return _tip(ESTIMATOR_SECTIONS, estimator, hint=True)


PANEL_USE = ("Hover the plot: x, p(x), D(x) and −∇f in the status bar. Click: its equation-1 "
             "curves; right-click: export it (custom data: add, remove a mode).")


def panel_tip(estimator: str, state: str, layers: Iterable[str]) -> str:
    """A run panel's tooltip: its run and state (``state``, e.g. "σ = 0.05 · seed 0 ·
    paused"), its estimator's gradient, what each shown layer draws, how to use it."""
    shown = [name for name in LAYER_SECTIONS if name in set(layers)]
    lines = [f"{FULL_NAMES[estimator]} · {state}", f"Gradient: {plain(GRADIENTS[estimator])}",
             *(["Shown:"] if shown else []),
             *(f"• {section(LAYER_SECTIONS[n]).tip}" for n in shown), PANEL_USE]
    return wrap("\n".join(lines), hint=True)


def _tip(ids: dict[str, str], name: str, hint: bool) -> str:
    """The wrapped tip of the section ``ids[name]``, or "" (no such entry: no tooltip, rather
    than a window that fails to open over a missing text)."""
    return wrap(section(ids[name]).tip, hint) if name in ids else ""


def plain(text: str) -> str:
    """Text without its inline tags: <sub>x</sub> becomes _x, <sup>x</sup> becomes ^x, the rest
    is dropped (for tooltips and plain-text uses)."""
    text = re.sub(r"<sub>(.*?)</sub>", r"_\1", text)
    text = re.sub(r"<sup>(.*?)</sup>", r"^\1", text)
    text = re.sub(LINK, r"\1", text)
    return re.sub(r"</?(?:b|i)>", "", text).replace("`", "")


def _blocks(text: str) -> list[tuple[str, list[str]]]:
    """Paragraphs ("p", [text]) and lists ("ul", [items]) of a section text."""
    out: list[tuple[str, list[str]]] = []
    for block in text.split("\n\n"):
        lines = block.strip().split("\n")
        if all(line.startswith("- ") for line in lines):
            out.append(("ul", [line[2:] for line in lines]))
        else:
            out.append(("p", [" ".join(lines)]))
    return out


def _inline_html(text: str) -> str:
    """Escape a text for HTML, keeping the allowed inline tags, turning `x` into code and
    [text](#id) into a link to a section."""
    escaped = html.escape(text, quote=False)
    for tag in INLINE_TAGS:
        escaped = escaped.replace(f"&lt;{tag}&gt;", f"<{tag}>").replace(
            f"&lt;/{tag}&gt;", f"</{tag}>")
    escaped = re.sub(LINK, r'<a href="#\2">\1</a>', escaped)
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def section_html(s: Section, swatch_html: str = "") -> str:
    """One section as HTML: an anchor, a heading (h2 for chapters, h3 for entries) and its
    text; ``swatch_html`` goes before the title."""
    tag = "h2" if s.level == 1 else "h3"
    parts = [f'<a name="{s.id}"></a><{tag} id="{s.id}">{swatch_html}{_inline_html(s.title)}'
             f"</{tag}>"]
    for kind, items in _blocks(s.text):
        if kind == "ul":
            parts.append("<ul>" + "".join(f"<li>{_inline_html(i)}</li>" for i in items)
                         + "</ul>")
        else:
            parts.append(f"<p>{_inline_html(items[0])}</p>")
    return "\n".join(parts)


def to_html(swatches: dict[str, str] | None = None) -> str:
    """The whole page as an HTML fragment (no styles); ``swatches`` maps a section's swatch
    role to HTML put before its title (the window draws colour chips)."""
    swatches = swatches or {}
    return "\n".join(section_html(s, swatches.get(s.swatch, "")) for s in SECTIONS)


def to_markdown() -> str:
    """The whole page as Markdown (for the documentation site), an anchor per section."""
    parts = []
    for s in SECTIONS:
        hashes = "#" * (s.level + 1)
        parts.append(f'<a id="{s.id}"></a>\n\n{hashes} {s.title}\n\n{s.text}\n')
    return "\n".join(parts)


SECTIONS: tuple[Section, ...] = _build()
_BY_ID = {s.id: s for s in SECTIONS}
LAYER_SECTIONS: dict[str, str] = {name: _layer_id(name) for name in _LAYERS}
CURVE_SECTIONS: dict[str, str] = {name: _curve_id(name) for name in _CURVES}
ESTIMATOR_SECTIONS: dict[str, str] = {est: _estimator_id(est) for est in ESTIMATORS}
HELP_HINT = "More: Help > What am I looking at? (F1)"
TIP_WIDTH = 72  # characters per tooltip line


__all__ = [
    "CURVE_SECTIONS", "ESTIMATOR_SECTIONS", "GRADIENTS", "LAYER_SECTIONS", "SECTIONS", "Section",
    "curve_tip", "estimator_tip", "layer_tip", "panel_tip", "plain", "section", "to_html",
    "to_markdown", "wrap",
]


if __name__ == "__main__":  # python -m ganviz.core.help_text > help.md: the page for the docs
    print(to_markdown())
