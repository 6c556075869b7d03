"""A gradient checker for any cost of a dictionary of arrays.

The notebook's ``gradient_check_n`` answers one question with one number.  When
that number is large, the next questions are *which* block of parameters is
wrong, *how* it is wrong (a stray factor 2, a flipped sign, one bad entry) and
whether the check itself can be trusted (float32, a step outside the sweet spot,
a kink, a random cost).  This module answers those, for any
``cost(parameters) -> float``, not only the 47-number network of the lesson.

On the course network, in one line::

    report = gradient_report(forward_propagation_n, backward_propagation_n, X, Y, parameters)
    report            # in Jupyter: a table, one row per block; print(report) for text
    report["W2"].factor, report["b1"].factor   # 2.0 and 4.0 with the given backward pass

For any other cost: ``check_gradients(cost, parameters, gradients)``, and on a
big network ``check_gradients(..., sample=10)`` or ``check_directions(...)``.

It lives beside ``gc_utils.py`` (the course's small helpers) and is shipped with
the assignment for the report after exercise 4; exercises 3 and 4 themselves
must be written without it, and their tests refuse it while they run.
"""

import html

import numpy as np

__all__ = [
    "BANDS", "EPSILON_RANGE", "CLEAN_RESIDUAL", "relative_difference", "relative_errors", "band",
    "BlockReport", "GradientReport", "check_gradients", "check_directions", "gradient_report",
]

#: Bands of a relative difference, from worst to best: a value above the
#: first bound is "wrong", above the second "suspicious", above the third
#: "acceptable" (round-off, or a kink such as ReLU's at 0), else "excellent".
BANDS = (("wrong", 1e-2), ("suspicious", 1e-4), ("acceptable", 1e-7), ("excellent", 0.0))

#: Step sizes that give a trustworthy centered difference in float64.  Below,
#: round-off (about 1e-16 * |J| / epsilon) takes over; above, the truncation
#: error (about epsilon**2 * |J'''|) does.  The best is near 1e-6.
EPSILON_RANGE = (1e-7, 1e-4)

#: A block is reported as a clean multiple k * gradapprox (the signature of a
#: stray constant factor) when what the factor leaves unexplained is below
#: this fraction of what it explains: residual < CLEAN_RESIDUAL * |k - 1|.
CLEAN_RESIDUAL = 1e-2


def relative_difference(grad, gradapprox):
    """The course's norm ratio ||grad - gradapprox|| / (||grad|| + ||gradapprox||).

    It lies in [0, 1], and is 0 when both are zero.  One number for a whole
    vector: a handful of bad coordinates among many good ones barely move it.
    """
    grad = np.ravel(grad)
    gradapprox = np.ravel(gradapprox)
    denominator = np.linalg.norm(grad) + np.linalg.norm(gradapprox)
    if denominator == 0:
        return 0.0
    return float(np.linalg.norm(grad - gradapprox) / denominator)


def relative_errors(grad, gradapprox, floor=1e-8):
    """Per-coordinate errors |a - n| / max(|a|, |n|, floor).

    Each coordinate is judged on its own scale, so one wrong number stands
    out however many right ones surround it.  The floor keeps two tiny
    values (say 1e-12 against 3e-12) from counting as a 200% error.
    """
    grad = np.ravel(grad).astype(np.float64)
    gradapprox = np.ravel(gradapprox).astype(np.float64)
    scale = np.maximum(np.maximum(np.abs(grad), np.abs(gradapprox)), floor)
    return np.abs(grad - gradapprox) / scale


def band(value):
    """Name the band ("wrong", "suspicious", "acceptable", "excellent") of a
    relative difference or error; see ``BANDS``.  NaN or infinity is "wrong":
    a gradient or cost that is not a number is never a pass."""
    if not np.isfinite(value):
        return BANDS[0][0]
    for name, bound in BANDS:
        if value > bound:
            return name
    return BANDS[-1][0]


def _index_label(name, shape, flat_index):
    if len(shape) == 0:
        return name
    index = np.unravel_index(flat_index, shape)
    return f"{name}[{', '.join(str(int(i)) for i in index)}]"


class BlockReport:
    """What the check found in one parameter block (W1, b1, ...).

    Attributes: ``name``, ``shape``, ``labels`` (what was checked: coordinates
    such as ``"W2[1, 3]"`` or directions such as ``"direction 1"``),
    ``grad`` and ``gradapprox`` (the compared numbers, in that order),
    ``difference`` (norm ratio), ``errors`` (per-coordinate convention),
    ``factor`` (k when grad is a clean multiple k * gradapprox, else None),
    ``kinks`` (labels of the checks that straddled a kink) and ``verdict``.
    """

    def __init__(self, name, shape, labels, grad, gradapprox, kinks=()):
        self.name = name
        self.shape = tuple(shape)
        self.labels = list(labels)
        self.grad = np.asarray(grad, dtype=np.float64)
        self.gradapprox = np.asarray(gradapprox, dtype=np.float64)
        self.kinks = list(kinks)
        self.difference = relative_difference(self.grad, self.gradapprox)
        self.errors = relative_errors(self.grad, self.gradapprox)
        self.max_error = float(self.errors.max()) if self.errors.size else 0.0
        self.band = band(self.difference)
        self.factor, self.residual = self._fit_factor()
        self.verdict = self._verdict()

    def _fit_factor(self):
        """Least-squares k in grad ~ k * gradapprox, and the relative residual.

        A backward pass with a stray constant (2 * dW, 4/m instead of 1/m,
        a minus sign) gives grad = k * true gradient exactly, so the residual
        is at round-off level and k names the constant.  It takes at least
        two checked entries: a single ratio proves nothing.  (The norm ratio of
        such a block is (k - 1) / (k + 1), so 1/3 means 2 and 3/5 means 4.)
        """
        a, g = self.gradapprox, self.grad
        if a.size < 2 or not np.any(a) or not np.any(g):
            return None, None  # one number is always "a multiple" of another: no evidence
        k = float(a @ g / (a @ a))
        residual = float(np.linalg.norm(g - k * a) / np.linalg.norm(g))
        return (k if residual < CLEAN_RESIDUAL * abs(k - 1) else None), residual

    @property
    def worst(self):
        """``(label, grad, gradapprox, error)`` of the worst checked entry."""
        if not self.labels:
            return None
        i = int(np.argmax(self.errors))
        return self.labels[i], float(self.grad[i]), float(self.gradapprox[i]), float(self.errors[i])

    @property
    def sign_flip(self):
        """True when grad is a clean multiple of gradapprox with k close to -1."""
        return self.factor is not None and abs(self.factor + 1) < 1e-2

    def _verdict(self):
        label, g, a, _ = self.worst or ("", 0.0, 0.0, 0.0)
        if self.band in ("excellent", "acceptable"):
            note = "" if self.band == "excellent" else " (round-off or a kink, rarely a bug)"
            return f"{self.band}{note}"
        if not np.any(self.grad):
            return (f"{self.band}: grad is zero but the cost depends on {self.name}: "
                    "is its gradient ever filled in?")
        if not np.any(self.gradapprox):
            return f"{self.band}: the cost does not depend on {self.name}, yet grad is not zero"
        kinks = ""
        if self.kinks:
            kinks = f"; {_straddle(len(self.kinks))} a kink"
        if self.sign_flip:
            return f"{self.band}: grad = -gradapprox, a flipped sign{kinks}"
        if self.factor is not None:
            return (f"{self.band}: grad = {self.factor:.3f} x gradapprox, a clean multiple: "
                    f"look for a stray constant factor{kinks}")
        return f"{self.band}: worst at {label} (grad {g:.4g}, gradapprox {a:.4g}){kinks}"

    def __repr__(self):
        return f"<BlockReport {self.name}: difference {self.difference:.3g}, {self.verdict}>"


class GradientReport:
    """The result of ``check_gradients`` or ``check_directions``.

    ``report["W2"]`` is the ``BlockReport`` of block W2; ``report.blocks``
    holds them all in order.  ``report.difference`` is the norm ratio over
    everything checked (the number ``gradient_check_n`` returns on a full
    check), ``report.max_error`` the largest per-coordinate error,
    ``report.worst`` the worst entries overall, ``report.warnings`` reasons
    not to trust the numbers, ``report.cost_evaluations`` how many times the
    cost was called.  ``str(report)`` is a text table; Jupyter shows an HTML
    table.
    """

    def __init__(self, title, blocks, epsilon, cost_evaluations, warnings, n_worst=5):
        self.title = title
        self.blocks = {block.name: block for block in blocks}
        self.epsilon = epsilon
        self.cost_evaluations = cost_evaluations
        self.warnings = list(warnings)
        grad = np.concatenate([b.grad for b in blocks]) if blocks else np.zeros(0)
        approx = np.concatenate([b.gradapprox for b in blocks]) if blocks else np.zeros(0)
        self.difference = relative_difference(grad, approx)
        self.max_error = max((b.max_error for b in blocks), default=0.0)
        entries = [(label, float(g), float(a), float(e))
                   for b in blocks for label, g, a, e in zip(b.labels, b.grad, b.gradapprox, b.errors)]
        entries.sort(key=lambda entry: -entry[3])
        self.worst = entries[:n_worst]

    def __getitem__(self, name):
        return self.blocks[name]

    @property
    def wrong(self):
        """Names of the blocks whose difference is in the "wrong" band."""
        return [name for name, b in self.blocks.items() if b.band == "wrong"]

    @property
    def passed(self):
        """True when no block is wrong or suspicious and nothing was warned about."""
        return not self.warnings and all(
            b.band in ("excellent", "acceptable") for b in self.blocks.values())

    def _rows(self):
        for b in self.blocks.values():
            factor = "" if b.factor is None or b.band in ("excellent", "acceptable") else f"{b.factor:.3f}"
            yield b, factor

    def __str__(self):
        summary = (f"overall difference {self.difference:.10g} ({band(self.difference)}), "
                   f"largest per-coordinate error {self.max_error:.3g}")
        lines = [self.title, summary, "",
                 f"{'block':<8}{'checked':>8}  {'difference':>11}  {'max error':>10}  {'factor':>7}  verdict"]
        for b, factor in self._rows():
            lines.append(f"{b.name:<8}{len(b.labels):>8}  {b.difference:>11.3e}  {b.max_error:>10.2e}  "
                         f"{factor:>7}  {b.verdict}")
        if self.worst and self.worst[0][3] > BANDS[1][1]:
            lines += ["", "worst entries:"]
            for label, g, a, e in self.worst:
                lines.append(f"  {label:<16} grad {g:>12.5g}  gradapprox {a:>12.5g}  error {e:.2e}")
        if self.warnings:
            lines += ["", "warnings:"]
            lines += [f"  - {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self):
        colours = {"wrong": "#f8d0d0", "suspicious": "#fbe8c0", "acceptable": "#e6f2e0",
                   "excellent": "#d0ecd0"}
        esc = html.escape
        rows = "".join(
            f"<tr style='background:{colours[b.band]}'><td><code>{esc(b.name)}</code></td>"
            f"<td>{len(b.labels)}</td><td>{b.difference:.3e}</td><td>{b.max_error:.2e}</td>"
            f"<td>{esc(factor)}</td><td style='text-align:left'>{esc(b.verdict)}</td></tr>"
            for b, factor in self._rows())
        summary = (f"<p><b>{esc(self.title)}</b><br>overall difference {self.difference:.10g} "
                   f"({band(self.difference)}), largest per-coordinate error {self.max_error:.3g}</p>")
        table = ("<table><thead><tr><th>block</th><th>checked</th><th>difference</th>"
                 "<th>max error</th><th>factor</th><th>verdict</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
        parts = [summary, table]
        if self.worst and self.worst[0][3] > BANDS[1][1]:
            items = "".join(f"<li><code>{esc(label)}</code>: grad {g:.5g}, gradapprox {a:.5g}, "
                            f"error {e:.2e}</li>" for label, g, a, e in self.worst)
            parts.append(f"<p>worst entries:</p><ul>{items}</ul>")
        if self.warnings:
            items = "".join(f"<li>{esc(w)}</li>" for w in self.warnings)
            parts.append(f"<p style='color:#a00'>warnings:</p><ul>{items}</ul>")
        return "".join(parts)

    def __repr__(self):
        return f"<GradientReport difference={self.difference:.3g} wrong={self.wrong}>"


class _Evaluator:
    """Calls the cost (and the optional kink inputs) on one float64 working
    copy of the parameters, counting calls and noticing float32 results."""

    def __init__(self, cost, parameters, gradients, kink_inputs):
        self.cost = cost
        self.kink_inputs = kink_inputs
        self.calls = 0
        self.low_precision = []
        self.low_precision_cost = False
        for name, value in parameters.items():
            if np.asarray(value).dtype in (np.float16, np.float32):
                self.low_precision.append(f"parameter {name} is {np.asarray(value).dtype}")
        self.work = {name: np.array(value, dtype=np.float64) for name, value in parameters.items()}
        self.gradients = _match_gradients(parameters, gradients)
        for name, value in self.gradients.items():
            if value.dtype in (np.float16, np.float32):
                self.low_precision.append(f"gradient of {name} is {value.dtype}")

    def __call__(self):
        self.calls += 1
        value = np.asarray(self.cost(self.work))
        if value.size != 1:
            raise ValueError(f"the cost must return one number, got an array of shape {value.shape}")
        if value.dtype in (np.float16, np.float32) and not self.low_precision_cost:
            self.low_precision_cost = True
            self.low_precision.append(f"the cost returns {value.dtype}")
        return float(value.reshape(()))

    def signs(self):
        """Signs of the kink inputs at the current point, or None."""
        if self.kink_inputs is None:
            return None
        inputs = self.kink_inputs(self.work)
        if not isinstance(inputs, dict):
            inputs = {f"input {i}": z for i, z in enumerate(inputs)}
        return {name: np.sign(np.asarray(z)) for name, z in inputs.items()}

    def centered(self, move, epsilon):
        """(J(theta + eps v) - J(theta - eps v)) / (2 eps), where ``move(t)``
        sets the working copy to theta + t v and ``move(None)`` restores theta
        exactly.  Also returns the first kink crossed, if any."""
        move(epsilon)
        j_plus, s_plus = self(), self.signs()
        move(-epsilon)
        j_minus, s_minus = self(), self.signs()
        move(None)
        crossed = None
        if s_plus is not None:
            for name in s_plus:
                changed = np.flatnonzero(s_plus[name] != s_minus[name])
                if changed.size:
                    crossed = _index_label(name, s_plus[name].shape, changed[0])
                    break
        return (j_plus - j_minus) / (2 * epsilon), crossed

    def warnings(self, epsilon, check_random):
        found = []
        if self.low_precision:
            found.append(
                f"low precision: {'; '.join(self.low_precision)}. Float32 keeps about 7 digits, so "
                "differences near 1e-7 mean nothing; cast the parameters, the data and the "
                "gradients to float64 (.astype(np.float64)) before checking")
        if not EPSILON_RANGE[0] <= epsilon <= EPSILON_RANGE[1]:
            cause = ("round-off in J(theta+eps) - J(theta-eps) dominates" if epsilon < EPSILON_RANGE[0]
                     else "the truncation error, which grows like epsilon**2, dominates")
            found.append(
                f"epsilon={epsilon:g} is outside the float64 sweet spot "
                f"{EPSILON_RANGE[0]:g}..{EPSILON_RANGE[1]:g}: {cause}. Use epsilon=1e-6 (near the "
                "cube root of machine epsilon) or 1e-7 as in the course")
        if check_random:
            first, second = self(), self()
            if first != second and abs(first - second) > 1e-12 * max(abs(first), abs(second)):
                found.append(
                    f"the cost is random: two evaluations at the same point gave {first!r} and "
                    f"{second!r}. Fix the seed inside the cost (the same mask for J(theta+eps) "
                    "and J(theta-eps)) or turn off dropout while checking")
        return found

    def report(self, title, blocks, epsilon, check_random):
        """Gather the warnings (after the check: a float32 cost is only seen
        once called) and build the report."""
        calls = self.calls + (2 if check_random else 0)
        title = (f"{title} in {len(blocks)} block(s), epsilon={epsilon:g}, "
                 f"{calls} cost evaluations")
        warnings = self.warnings(epsilon, check_random) + _kink_warning(blocks)
        return GradientReport(title, blocks, epsilon, self.calls, warnings)


def _match_gradients(parameters, gradients):
    """Pair every parameter with its gradient, keyed "dW1" or "W1"."""
    for key_of in (lambda name: f"d{name}", lambda name: name):
        if all(key_of(name) in gradients for name in parameters):
            matched = {}
            for name, value in parameters.items():
                grad = np.asarray(gradients[key_of(name)])
                if grad.shape != np.shape(value):
                    raise ValueError(f"the gradient {key_of(name)} has shape {grad.shape}, "
                                     f"but {name} has shape {np.shape(value)}")
                matched[name] = grad
            return matched
    missing = [f"d{name}" for name in parameters if f"d{name}" not in gradients and name not in gradients]
    raise KeyError(f"no gradient for {', '.join(missing)}: key gradients like the parameters "
                   "('W1') or with a 'd' prefix ('dW1')")


def _straddle(count):
    return f"{count} checked {'entry straddles' if count == 1 else 'entries straddle'}"


def _kink_warning(blocks):
    crossings = [(label, where) for b in blocks for label, where in b.kinks]
    if not crossings:
        return []
    shown = ", ".join(f"{label} (moves {where} across 0)" for label, where in crossings[:5])
    more = f" and {len(crossings) - 5} more" if len(crossings) > 5 else ""
    message = (f"{_straddle(len(crossings))} a kink: {shown}{more}. Between theta-eps and "
               "theta+eps a ReLU input changes sign, so the centered difference mixes two slopes "
               "and says nothing about the backward pass. "
               "Check again at another point or with fewer examples (a smaller epsilon helps only "
               "while it stays clear of round-off)")
    return [message]


def check_gradients(cost, parameters, gradients, epsilon=1e-7, *, sample=None, seed=None,
                    kink_inputs=None, check_random=True):
    """Compare a backward pass with centered differences, block by block.

    Example, on the course network (``gradient_report`` below does this in
    one line)::

        cost = lambda p: forward_propagation_n(X, Y, p)[0]
        report = check_gradients(cost, parameters, gradients)
        print(report)            # one row per block: difference, factor, verdict
        report["W2"].factor      # 2.0 with the given backward pass

    ``cost(parameters) -> float`` is any function of a dict of arrays; it is
    always called with a float64 working copy, never with your arrays, which
    are left untouched.  ``gradients`` is keyed like the parameters ("W1")
    or with a "d" prefix ("dW1"); other keys (dZ1, ...) are ignored.

    A full check nudges every coordinate in place on that one working copy
    and writes the saved value back, so it costs 2n cost evaluations and no
    copying per coordinate.  ``sample=k`` checks only k random coordinates
    *of every block* (all of a block smaller than k): on a large network a
    sample drawn from the whole vector would rarely land in a small block
    such as a bias.  ``seed`` makes the sample reproducible.

    ``kink_inputs(parameters)`` may return the ReLU inputs (a dict or list of
    arrays, e.g. Z1 and Z2); the check then reports every coordinate whose
    nudge moves one of them across 0.  ``check_random`` spends two more
    evaluations at theta itself to catch a random cost (dropout).
    """
    evaluator = _Evaluator(cost, parameters, gradients, kink_inputs)
    rng = np.random.default_rng(seed)
    blocks = []
    for name, work in evaluator.work.items():
        flat = work.reshape(-1)  # a view: writing to it writes to the working copy
        chosen = np.arange(flat.size)
        if sample is not None and sample < flat.size:
            chosen = np.sort(rng.choice(flat.size, size=sample, replace=False))
        labels = [_index_label(name, work.shape, i) for i in chosen]
        approx = np.empty(chosen.size)
        kinks = []
        for j, i in enumerate(chosen):
            saved = flat[i]

            def move(step, i=i, saved=saved, flat=flat):
                flat[i] = saved if step is None else saved + step

            approx[j], crossed = evaluator.centered(move, epsilon)
            if crossed:
                kinks.append((labels[j], crossed))
        grad = evaluator.gradients[name].reshape(-1)[chosen]
        blocks.append(BlockReport(name, work.shape, labels, grad, approx, kinks))
    checked = sum(len(b.labels) for b in blocks)
    total = sum(work.size for work in evaluator.work.values())
    what = (f"{checked} parameters" if checked == total
            else f"{checked} of {total} parameters (up to {sample} per block)")
    return evaluator.report(f"Gradient check of {what}", blocks, epsilon, check_random)


def check_directions(cost, parameters, gradients, epsilon=1e-6, *, directions=1, per_block=True,
                     seed=None, kink_inputs=None, check_random=True):
    """Check the gradient along random directions: cheap, whatever the size.

    For a unit direction d, (J(theta + eps d) - J(theta - eps d)) / (2 eps)
    must equal grad . d: two cost evaluations test all the coordinates d
    touches at once.  With ``per_block=True`` (the default) every block gets
    its own ``directions`` random directions, the other blocks held still,
    so the check costs 2 * directions * (number of blocks) evaluations and a
    wrong block can never hide behind the others.  ``per_block=False`` draws
    directions over the whole vector instead (reported as one block "all"):
    there, the error of a small block is diluted by the gradients of all the
    large ones, and can fall below any threshold by bad luck.

    A clean multiple shows up here too: if grad is k times the truth, so is
    grad . d, and the block's factor reads k.  Arguments are as for
    ``check_gradients``; the default epsilon 1e-6 sits in the float64 sweet
    spot.
    """
    evaluator = _Evaluator(cost, parameters, gradients, kink_inputs)
    rng = np.random.default_rng(seed)
    groups = [[name] for name in evaluator.work] if per_block else [list(evaluator.work)]
    blocks = []
    for names in groups:
        label = names[0] if per_block else "all"
        saved = {name: evaluator.work[name].copy() for name in names}
        d = {name: np.empty_like(saved[name]) for name in names}
        analytic, numeric, labels, kinks = [], [], [], []
        for k in range(directions):
            # Entries uniform in [-0.5, 0.5): any random direction tests every
            # coordinate it touches, and drawing these costs a fraction of a
            # Gaussian draw. Everything below works in place, so the check's own
            # work is a few passes over the parameters, whatever their number.
            for name in names:
                rng.random(out=d[name])
                d[name] -= 0.5
            norm = np.sqrt(sum(float(np.dot(v.ravel(), v.ravel())) for v in d.values()))
            for name in names:
                d[name] /= norm

            def move(step, d=d, names=names, saved=saved):
                for name in names:
                    work = evaluator.work[name]
                    if step is None:
                        work[...] = saved[name]
                    else:
                        np.multiply(d[name], step, out=work)
                        work += saved[name]

            value, crossed = evaluator.centered(move, epsilon)
            numeric.append(value)
            analytic.append(sum(float(np.dot(evaluator.gradients[name].ravel(), d[name].ravel()))
                                for name in names))
            labels.append(f"{label} direction {k}")
            if crossed:
                kinks.append((labels[-1], crossed))
        shape = evaluator.work[names[0]].shape if per_block else (sum(saved[n].size for n in names),)
        blocks.append(BlockReport(label, shape, labels, analytic, numeric, kinks))
    scope = "per block" if per_block else "over the whole vector"
    return evaluator.report(f"Directional check, {directions} random direction(s) {scope}",
                            blocks, epsilon, check_random)


def gradient_report(forward_propagation_n, backward_propagation_n, X, Y, parameters, epsilon=1e-7,
                    **options):
    """Check the course network in one line and say which block is wrong.

    ``forward_propagation_n(X, Y, parameters) -> (cost, cache)`` and
    ``backward_propagation_n(X, Y, cache) -> gradients`` are the notebook's
    functions.  The ReLU inputs Z1 and Z2 are read from the cache (entries 0
    and 4) to spot kinks.  Other keyword arguments go to ``check_gradients``.
    """
    _, cache = forward_propagation_n(X, Y, parameters)
    gradients = backward_propagation_n(X, Y, cache)

    def cost(p):
        return forward_propagation_n(X, Y, p)[0]

    def relu_inputs(p):
        cache = forward_propagation_n(X, Y, p)[1]
        return {"Z1": cache[0], "Z2": cache[4]}

    options.setdefault("kink_inputs", relu_inputs)
    return check_gradients(cost, parameters, gradients, epsilon, **options)
