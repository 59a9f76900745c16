"""Lesson 1, "Choosing the dropout rate": a sweep over dropout rates, precomputed.

    python -m utils.rate_sweep            (about 12 minutes on a busy 2-core machine)

trains lesson 1's dropout set-up (``utils.experiments.DROPOUT_EXPERIMENT``: three
Dense(256, relu) layers on standardized Red Wine, Adam, MAE, batches of 64, 30
epochs) at each rate in ``RATES`` (0 means no Dropout layer at all, i.e. the
lesson's run "without dropout"), for every seed in ``SEEDS``, and writes the
figures of every run to ``RESULTS`` (committed). The rate is the one change.

The lesson loads that file instead of training 50 networks, and may claim only
what holds in it for every seed; ``tests/test_dropout_rate_sweep.py`` asserts
each of those claims on the file and retrains the extreme rates for one seed to
check that the file still describes what training does.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
from dataclasses import dataclass, replace
from pathlib import Path

from utils.experiments import DROPOUT_WIDTHS, WITHOUT_DROPOUT, Setup, dense_network, layer_chain, run

RATES = (0.0, 0.1, 0.3, 0.5, 0.7)
SEEDS = tuple(range(10))
RESULTS = Path(__file__).with_name("dropout_rate_sweep.json")
CURVE_SEED = 0          # the seed whose learning curves the file keeps (for the lesson's slider)


def rate_setup(rate: float) -> Setup:
    """Lesson 1's dropout set-up with ``Dropout(rate)`` after every hidden layer."""
    return replace(WITHOUT_DROPOUT, name=f"rate {rate:g}",
                   build=lambda n: dense_network(n, DROPOUT_WIDTHS, dropout=rate))


def describe_setup() -> dict:
    """The set-up as plain data, stored with the results (and compared with the
    code by the test, so a changed set-up cannot silently keep stale results)."""
    return {
        "networks": {f"{rate:g}": layer_chain(rate_setup(rate).build(11)) for rate in RATES},
        "optimizer": WITHOUT_DROPOUT.optimizer().__class__.__name__,
        "loss": WITHOUT_DROPOUT.loss,
        "batch_size": WITHOUT_DROPOUT.batch_size,
        "epochs": WITHOUT_DROPOUT.epochs,
        "standardize": WITHOUT_DROPOUT.standardize,
    }


def run_rate(rate: float, seed: int = 0, *, progress: bool = True) -> dict:
    """Train one rate for one seed; its figures as stored in ``RESULTS``."""
    result = run(rate_setup(rate), seed, progress=progress)
    return {
        "rate": rate, "seed": seed,
        "best_val": result.min_val_loss, "final_train": result.train_loss,
        "final_val": result.val_loss, "gap": result.gap, "diverged": result.diverged,
        "history": result.history,
    }


def try_rate(rate: float, seed: int = 0, sweep: Sweep | None = None) -> dict:
    """The lesson's live cell: train one rate now and print its figures, beside
    the stored ones of the same rate and seed when the sweep has them."""
    figures = run_rate(rate, seed)
    print(f"rate {rate:g}, seed {seed}, trained just now: best val {figures['best_val']:.3f}   "
          f"final train {figures['final_train']:.3f}   final val {figures['final_val']:.3f}   "
          f"gap {figures['gap']:+.3f}")
    stored = sweep.runs.get(rate, {}).get(seed) if sweep else None
    if stored:
        print(f"{'':>{len(f'rate {rate:g}, seed {seed}, ')}}stored:           best val {stored['best_val']:.3f}   "
              f"final train {stored['final_train']:.3f}   final val {stored['final_val']:.3f}   "
              f"gap {stored['gap']:+.3f}")
    return figures


# ------------------------------------------------------------------ the stored results


@dataclass(frozen=True)
class Sweep:
    """The stored sweep: ``runs[rate][seed]`` holds best_val, final_train,
    final_val and gap; ``curves[rate]`` the learning curves of ``CURVE_SEED``."""

    rates: tuple[float, ...]
    seeds: tuple[int, ...]
    runs: dict[float, dict[int, dict[str, float]]]
    curves: dict[float, dict[str, list[float]]]
    environment: dict
    setup: dict

    def values(self, rate: float, key: str) -> list[float]:
        """``key`` (best_val, final_train, final_val or gap) of ``rate`` for every seed."""
        return [self.runs[rate][seed][key] for seed in self.seeds]

    def best_rate(self, seed: int, key: str = "best_val") -> float:
        """The rate with the lowest ``key`` for one seed."""
        return min(self.rates, key=lambda rate: self.runs[rate][seed][key])

    def table(self) -> str:
        """Per rate, the median over the seeds and the range (lowest to highest)."""
        columns = (("best_val", "best val"), ("final_val", "final val"), ("gap", "gap"))
        header = f"{'rate':>4}  " + "  ".join(f"{title:^21}" for _, title in columns)
        lines = [f"Dropout rate sweep, {len(self.seeds)} seeds "
                 f"({self.seeds[0]}-{self.seeds[-1]}), validation MAE: median [lowest, highest]",
                 header]
        for rate in self.rates:
            cells = []
            for key, _ in columns:
                values = sorted(self.values(rate, key))
                signed = "+" if key == "gap" else ""
                cells.append(f"{_median(values):{signed}.3f} [{values[0]:{signed}.3f}, {values[-1]:{signed}.3f}]")
            lines.append(f"{rate:>4g}  " + "  ".join(f"{cell:^21}" for cell in cells))
        return "\n".join(lines)

    def wins(self) -> str:
        """For each rate, in how many seeds it had the lowest best validation MAE."""
        counts = {rate: sum(self.best_rate(seed) == rate for seed in self.seeds) for rate in self.rates}
        return ("Lowest best validation MAE, seeds per rate: "
                + ", ".join(f"rate {rate:g}: {count}" for rate, count in counts.items()))

    def plot(self):
        """Best validation MAE and gap against the rate: one thin line per seed,
        the median thick. Returns the Figure."""
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(11, 4))
        for ax, key, title in ((axes[0], "best_val", "best validation MAE"),
                               (axes[1], "gap", "gap (final val − final train)")):
            for seed in self.seeds:
                ax.plot(self.rates, [self.runs[rate][seed][key] for rate in self.rates],
                        color="#a0aec0", linewidth=0.8, alpha=0.7)
            ax.plot(self.rates, [_median(self.values(rate, key)) for rate in self.rates],
                    color="#2b6cb0", linewidth=2.5, marker="o", label=f"median of {len(self.seeds)} seeds")
            ax.set_xticks(self.rates)
            ax.set_xlabel("dropout rate")
            ax.set_title(title)
            ax.legend()
        from utils.experiments import mean_only_loss, red_wine

        axes[0].axhline(mean_only_loss(red_wine(False), "mae"), color="#c53030", linestyle="--", linewidth=1,
                        label="always predicting the median")
        axes[0].legend()
        axes[1].axhline(0, color="black", linewidth=0.8)
        fig.suptitle("Dropout rate sweep (thin lines: one seed each)")
        fig.tight_layout()
        return fig

    def plot_curves(self, rate: float, *, start_epoch: int = 2):
        """The stored learning curves of one rate (seed ``CURVE_SEED``), on the
        same y-axis for every rate so that they can be compared. Returns the Figure."""
        import matplotlib.pyplot as plt

        from utils.plotting import plot_learning_curves

        fig, ax = plt.subplots(figsize=(7, 4))
        plot_learning_curves(self.curves[rate], title=f"rate {rate:g} (seed {CURVE_SEED})",
                             ax=ax, start_epoch=start_epoch)
        low = min(min(c[k][start_epoch:]) for c in self.curves.values() for k in ("loss", "val_loss"))
        high = max(max(c[k][start_epoch:]) for c in self.curves.values() for k in ("loss", "val_loss"))
        ax.set_ylim(low - 0.02, high + 0.02)
        return fig

    def explore(self) -> None:
        """A slider over the stored rates showing each one's learning curves
        (needs ipywidgets; without it, says so in one line). The curves are
        drawn once per rate into images, so moving the slider only swaps them
        (and no Output widget is needed, which notebook runners handle badly)."""
        try:
            import ipywidgets
        except ImportError:
            print("The slider needs the ipywidgets package, which is not installed here.")
            return
        from IPython.display import display

        images = {rate: self._curves_png(rate) for rate in self.rates}
        slider = ipywidgets.SelectionSlider(options=[(f"{r:g}", r) for r in self.rates],
                                            value=self.rates[0], description="rate")
        image = ipywidgets.Image(value=images[slider.value], format="png")

        def show(change):
            image.value = images[change["new"]]

        slider.observe(show, names="value")
        display(ipywidgets.VBox([slider, image]))

    def _curves_png(self, rate: float) -> bytes:
        import io

        import matplotlib.pyplot as plt

        fig = self.plot_curves(rate)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        return buffer.getvalue()


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def load(path: Path = RESULTS) -> Sweep:
    """The precomputed sweep."""
    data = json.loads(Path(path).read_text())
    runs: dict[float, dict[int, dict[str, float]]] = {}
    curves = {}
    for entry in data["runs"]:
        rate, seed = float(entry["rate"]), int(entry["seed"])
        runs.setdefault(rate, {})[seed] = {key: entry[key] for key in ("best_val", "final_train", "final_val", "gap")}
        if "history" in entry:
            curves[rate] = entry["history"]
    return Sweep(rates=tuple(float(r) for r in data["rates"]), seeds=tuple(data["seeds"]), runs=runs,
                 curves=curves, environment=data["environment"], setup=data["setup"])


def compute(seeds=SEEDS, rates=RATES, *, progress: bool = True) -> dict:
    """Train every rate for every seed; the contents of ``RESULTS``."""
    import keras
    import tensorflow as tf

    os.environ["COURSE_FAST_MODE"] = "0"     # the lesson's epochs, whatever the shell says
    runs = []
    for seed in seeds:
        for rate in rates:
            figures = run_rate(rate, seed, progress=False)
            if figures["diverged"]:
                raise RuntimeError(f"rate {rate:g}, seed {seed} diverged; the lesson assumes no run does")
            history = figures.pop("history")
            entry = {key: round(value, 5) if isinstance(value, float) else value for key, value in figures.items()}
            del entry["diverged"]
            if seed == CURVE_SEED:
                entry["history"] = {key: [round(v, 5) for v in values] for key, values in history.items()}
            runs.append(entry)
            if progress:
                print(f"seed {seed} rate {rate:g}: best val {entry['best_val']:.4f}  final train "
                      f"{entry['final_train']:.4f}  final val {entry['final_val']:.4f}  gap {entry['gap']:+.4f}",
                      flush=True)
    return {
        "description": "Lesson 1's dropout set-up at several dropout rates (python -m utils.rate_sweep). "
                       "MAE on Red Wine; final_train is measured after training with nothing dropped; "
                       "gap = final_val - final_train; history: per-epoch losses as Keras reported them "
                       f"(seed {CURVE_SEED} only).",
        "rates": list(rates), "seeds": list(seeds),
        "environment": {
            "date": datetime.date.today().isoformat(),
            "tensorflow": tf.__version__, "keras": keras.__version__,
            "python": platform.python_version(), "machine": platform.machine(),
            "cpu_cores": os.cpu_count(),
            "TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset"),
        },
        "setup": describe_setup(),
        "runs": runs,
    }


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m utils.rate_sweep", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"where to write (default: {RESULTS.name})")
    args = parser.parse_args(argv)
    from utils.settings import setup_course

    setup_course()
    data = compute()
    args.out.write_text(json.dumps(data, indent=1) + "\n")
    print(f"wrote {args.out}")
    print(load(args.out).table())


if __name__ == "__main__":
    main()
