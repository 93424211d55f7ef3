"""The ``soundstage`` command line.

Subcommands
-----------
``soundstage demo [-o OUTDIR] [--head {sphere,point,brown-duda,kemar}] [--quick]``
    The main job (what ``make demo`` runs), into OUTDIR (default ``demo-output``):

    - plots of the default free-field scene's transfer matrices (``scene.png``,
      ``ear_transfer.png``, ``polar.png``, ``level_map.png``) and ``summary.json``;
    - unless ``--quick``: the rendering chain of :mod:`experiments.main_job` for the smart speaker
      in a living room: a built-in stereo clip, driver feeds of the designed chain and of matrix
      mixing, binaural previews of both and of a reference stereo pair, filter plots and
      ``chain_summary.json``.
``soundstage render IN.wav -o FEEDS.wav [--binaural PREVIEW.wav] [--scene SCENE.toml]``
    Designs the chain for the default scene (or the TOML scene, :mod:`experiments.scene_file`)
    and renders the stereo file to one channel per driver; optionally also the listener's ears.
``soundstage evaluate [SCENE.toml] [-o OUTDIR] [--eval-head HEAD] [--no-zones] [--zone-step M]``
    Designs the chain for the scene (default: the built-in default scene) and writes the
    evaluation report of :mod:`experiments.report` into OUTDIR (default ``evaluation``):
    ``metrics.json``, ``report.md`` and its figures. ``--eval-head`` evaluates on another head
    model than the scene's (design on the sphere, judge on KEMAR); the zone maps cover +-0.6 m
    around the listener in steps of ``--zone-step`` (default 0.2 m).
``soundstage sweep SWEEP.toml [--results CSV] [--workers N | --scheduler ADDR | --local-cluster N]``
    Runs a parameter sweep (:mod:`experiments.sweep`, format in :mod:`experiments.sweep_spec`):
    one row per run in a CSV table, written as runs finish and resumed on a rerun; local processes
    by default, or a Dask cluster. Exit code 1 when some runs failed (errors are in the table).
``soundstage figures [-o OUTDIR] [--dpi N]``
    Writes the seven reference figures of :mod:`experiments.figures` (``fig1_geometry.png`` ...
    ``fig7_signal_flow.png``) into OUTDIR (default ``docs/figures``, the README's gallery).

Exit codes: 0 on success, 2 on a usage error, a value or key the library refuses, unreadable
input or unwritable output (one line on stderr, ``soundstage COMMAND: error: ...``, naming the
argument or key; ``SOUNDSTAGE_TRACEBACK=1`` re-raises instead), 130 on Ctrl-C. Output paths
and formats are checked before any computation. Warnings are printed on one line each.
``render`` writes within full scale: a signal beyond it is scaled by a gain that is printed and
stored in the WAV's comment. ``soundstage --version`` prints the version. Plots use
matplotlib's non-interactive Agg backend.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["main", "build_parser", "HEAD_CHOICES"]

from experiments.scene_file import HEAD_CHOICES  # noqa: E402  (head models for ``--head``)

_FS = 48000
_N_FFT = 1024
_POLAR_FREQS_HZ = (500.0, 2000.0, 8000.0)
_SUMMARY_FREQ_HZ = 1000.0
_AZIMUTH_STEP_DEG = 5.0


class _UsageError(Exception):
    """A problem with the user's request (exit code 2)."""


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser of the ``soundstage`` command.

    Returns
    -------
    argparse.ArgumentParser
        With one subcommand per action (``demo`` for now).
    """
    parser = argparse.ArgumentParser(
        prog="soundstage",
        description="Simulate sound from compact loudspeakers to a listener's ears.",
    )
    parser.add_argument("--version", action="version", version=f"soundstage {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = sub.add_parser(
        "demo",
        help="render the default scene's plots and a summary.json",
        description="Render plots of the default scene (smart speaker, listener 2 m in front) "
        "and a summary.json into OUTDIR.",
    )
    demo.add_argument(
        "-o", "--outdir", default="demo-output", help="output directory (default: %(default)s)"
    )
    demo.add_argument(
        "--head",
        choices=HEAD_CHOICES,
        default="sphere",
        help="listener's ear model (default: %(default)s)",
    )
    demo.add_argument(
        "--quick", action="store_true", help="only the transfer-matrix plots, not the chain"
    )
    rend = sub.add_parser(
        "render",
        help="render a stereo WAV to driver feeds with the designed chain",
        description="Design the chain for a scene and render IN.wav to one channel per driver.",
    )
    rend.add_argument("input", help="stereo WAV file")
    rend.add_argument("-o", "--output", required=True, help="driver-feed WAV file to write")
    rend.add_argument("--binaural", help="also write the listener's ear signals to this WAV")
    rend.add_argument("--scene", help="TOML scene file (default: the built-in default scene)")
    ev = sub.add_parser(
        "evaluate",
        help="design the chain for a scene and write the evaluation report",
        description="Design the chain for a scene and compare it with matrix mixing and a "
        "stereo pair: metrics.json, report.md and figures in OUTDIR.",
    )
    ev.add_argument("scene", nargs="?", help="TOML scene file (default: the default scene)")
    ev.add_argument(
        "-o", "--outdir", default="evaluation", help="output directory (default: %(default)s)"
    )
    ev.add_argument(
        "--eval-head", choices=HEAD_CHOICES, help="judge on this head model instead of the scene's"
    )
    ev.add_argument("--no-zones", action="store_true", help="skip the zone maps")
    ev.add_argument(
        "--zone-step", type=float, default=0.2, help="zone-map grid step in m (default: 0.2)"
    )
    des = sub.add_parser(
        "design",
        help="design the chain for a scene and write its FIR filters",
        description="Design the chain for a scene and write its FIR filters per driver and "
        "path (left, right, centre) with the latency and upmix settings: FILTERS.sofa "
        "(GeneralFIR), FILTERS.wav (one file per path and a JSON side-car) or FILTERS.npz.",
    )
    des.add_argument("scene", nargs="?", help="TOML scene file (default: the default scene)")
    des.add_argument("-o", "--output", required=True, help="FILTERS.sofa, .wav or .npz")
    des.add_argument(
        "--fs", type=float, default=_FS, help="sampling rate in Hz (default: %(default)g)"
    )
    from experiments.sweep import add_arguments

    add_arguments(
        sub.add_parser(
            "sweep",
            help="run a parameter sweep (local processes or a Dask cluster), resumable",
            description="Run a parameter sweep: one row per run in a results table.",
        )
    )
    figs = sub.add_parser(
        "figures",
        help="write the seven reference figures",
        description="Compute and plot the seven reference figures into OUTDIR.",
    )
    figs.add_argument(
        "-o", "--outdir", default="docs/figures", help="output directory (default: %(default)s)"
    )
    figs.add_argument("--dpi", type=int, default=90, help="PNG resolution (default: %(default)s)")
    return parser


def _version() -> str:
    """Return the installed package's version (``pyproject.toml``)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("soundstage")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return "unknown (not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``soundstage`` command.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments without the program name; ``sys.argv[1:]`` when omitted.

    Returns
    -------
    int
        Exit code: 0 on success, 2 on a usage error or an unwritable output.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
    except SystemExit as exc:  # argparse exits on --help (0) and on usage errors (2)
        return exc.code if isinstance(exc.code, int) else 2
    import warnings

    shown = warnings.showwarning
    _one_line_warnings(args.command)
    try:
        return _run(parser, args)
    finally:
        warnings.showwarning = shown  # the caller's (a test's) way of showing warnings again


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Run the parsed command; ordinary mistakes become one line and exit code 2."""
    try:
        if args.command == "demo":
            return _demo(Path(args.outdir), args.head, quick=args.quick)
        if args.command == "render":
            return _render(args)
        if args.command == "evaluate":
            return _evaluate(args)
        if args.command == "figures":
            return _figures(args)
        if args.command == "design":
            return _design(args)
        if args.command == "sweep":
            from experiments.sweep import run_command

            return run_command(args)
    except _UsageError as exc:
        print(f"soundstage {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, TypeError, OSError, _sound_file_error()) as exc:
        # An ordinary mistake the library refused (a bad value, an unreadable or unwritable
        # file): one line, exit 2. SOUNDSTAGE_TRACEBACK=1 shows where it came from.
        if os.environ.get("SOUNDSTAGE_TRACEBACK"):
            raise
        print(f"soundstage {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"soundstage {args.command}: interrupted", file=sys.stderr)
        return 130
    parser.print_usage(sys.stderr)  # pragma: no cover - argparse refuses unknown commands
    return 2  # pragma: no cover


def _one_line_warnings(command: str) -> None:
    """Print warnings as ``soundstage COMMAND: warning: ...`` lines (no source line)."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        print(f"soundstage {command}: warning: {_one_line(message)}", file=file or sys.stderr)

    warnings.showwarning = show


def _sound_file_error() -> type[Exception]:
    """Return the error class of soundfile (reading or writing audio)."""
    import soundfile

    return getattr(soundfile, "SoundFileError", RuntimeError)


def _one_line(exc: BaseException) -> str:
    """Return the exception's message on one line (an OSError with its file name)."""
    if isinstance(exc, OSError) and exc.strerror:
        text = f"{exc.filename!r}: {exc.strerror}" if exc.filename else exc.strerror
    else:
        text = str(exc) or type(exc).__name__
    return " ".join(text.split())


def _check_output_file(path: str, option: str, suffixes: tuple[str, ...]) -> Path:
    """Refuse an output path that cannot be written, before any computation.

    The name must end in one of ``suffixes``; the path must not be a directory or a device; its
    directory must exist and be writable (probed by creating and removing the file when it
    does not exist yet).
    """
    out = Path(path).expanduser()
    if out.is_dir():
        raise _UsageError(f"{option} {path!r} is a directory, expected a file")
    if out.exists() and not out.is_file():
        raise _UsageError(f"{option} {path!r} is not a regular file")
    if out.suffix.lower() not in suffixes:
        raise _UsageError(f"{option} {path!r}: the file name must end in {' or '.join(suffixes)}")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise _UsageError(f"{option} {path!r}: no directory {str(parent)!r}")
    if out.exists():
        if not os.access(out, os.W_OK):
            raise _UsageError(f"{option} {path!r}: the file is not writable")
        return out
    try:
        out.touch()
        out.unlink()
    except OSError as exc:
        raise _UsageError(f"{option} {path!r}: cannot write there: {exc.strerror or exc}") from exc
    return out


def _make_head(name: str):
    """Build the head model called ``name`` (one of :data:`HEAD_CHOICES`)."""
    from experiments.scene_file import make_head

    try:
        return make_head(name)
    except (OSError, ValueError, ImportError) as exc:
        raise _UsageError(f"--head {name}: {exc}") from exc


def _prepare_outdir(outdir: Path) -> Path:
    """Create ``outdir`` if needed and check that files can be written in it."""
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / ".soundstage-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise _UsageError(f"cannot write to output directory {str(outdir)!r}: {exc}") from exc
    return outdir


def _render(args: argparse.Namespace) -> int:
    """Run the ``render`` subcommand."""
    from design.chain import design_chain, render
    from design.evaluation.preview import binaural_preview
    from design.render.audio import read_wav

    output = _check_output_file(args.output, "--output", (".wav",))
    binaural = None
    if args.binaural:
        binaural = _check_output_file(args.binaural, "--binaural", (".wav",))
        if binaural.resolve() == output.resolve():
            raise _UsageError(f"--binaural {args.binaural!r} is the same file as --output")
    scene = _scene_or_default(args.scene)
    try:
        stereo, fs = read_wav(args.input, fs=_FS, channels=2)
    except (ValueError, OSError) as exc:
        raise _UsageError(f"input {args.input!r}: {_one_line(exc)}") from exc
    chain = design_chain(scene, fs=fs)
    feeds = render(chain, stereo, fs)
    _write_within_full_scale(
        output, feeds, fs, f"{feeds.shape[0]} driver channels: " + ", ".join(chain.drivers)
    )
    if binaural is not None:
        ears = binaural_preview(chain, scene, stereo, fs, reference=False)["chain"]
        _write_within_full_scale(binaural, ears, fs, "left and right ear")
    return 0


def _write_within_full_scale(path: Path, signal, fs: float, what: str) -> None:
    """Write a WAV within full scale: a signal beyond it is scaled, and the gain is stated.

    The gain is printed and stored in the file's comment, so the level can be undone.
    """
    from design.render.audio import fit_full_scale, write_wav

    scaled, gain_db = fit_full_scale(signal)
    comment = None
    note = ""
    if gain_db < 0.0:
        comment = f"soundstage: scaled by {gain_db:.2f} dB to stay within full scale"
        note = f"; scaled by {gain_db:.1f} dB to stay within full scale (in its comment)"
    write_wav(path, scaled, int(fs), comment=comment)
    print(f"wrote {path} ({what}{note})")


def _scene_or_default(path: str | None):
    """Return the scene of a TOML file, or the default scene; a bad file is a usage error."""
    from acoustics.scene import default_scene
    from experiments.scene_file import load_scene

    try:
        return load_scene(path) if path else default_scene()
    except (ValueError, TypeError) as exc:
        raise _UsageError(str(exc)) from exc


def _design(args: argparse.Namespace) -> int:
    """Run the ``design`` subcommand."""
    from design.chain import design_chain
    from design.export import FILTER_FORMATS, save_filters

    out = _check_output_file(args.output, "--output", tuple(FILTER_FORMATS))
    if not (np.isfinite(args.fs) and 16000 <= args.fs <= 192000):
        raise _UsageError(f"--fs must be a sampling rate of 16-192 kHz, got {args.fs:g}")
    scene = _scene_or_default(args.scene)
    chain = design_chain(scene, fs=args.fs)
    try:
        written = save_filters(chain, out, positions=scene.device.positions)
    except OSError as exc:
        raise _UsageError(f"--output {str(out)!r}: {exc.strerror or exc}") from exc
    for p in written:
        print(f"wrote {p}")
    print(
        f"{len(chain.drivers)} drivers x 3 paths x {chain.filters.shape[2]} taps at "
        f"{chain.fs:g} Hz, latency {chain.latency_samples:.1f} samples"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    """Run the ``evaluate`` subcommand."""
    import dataclasses

    from design.chain import design_chain
    from experiments.report import write_report

    scene = _scene_or_default(args.scene)
    if not np.isfinite(args.zone_step) or args.zone_step <= 0:
        raise _UsageError(f"--zone-step must be a positive length in m, got {args.zone_step}")
    outdir = _prepare_outdir(Path(args.outdir))
    true = scene
    if args.eval_head:
        lis = dataclasses.replace(scene.listener, head=_make_head(args.eval_head))
        true = dataclasses.replace(scene, listener=lis)
    grid = False if args.no_zones else _zone_grid(true, args.zone_step)
    chain = design_chain(scene, fs=_FS)
    try:
        written = write_report(chain, true, outdir, zone_grid=grid, progress=True)
    except ValueError as exc:
        raise _UsageError(str(exc)) from exc
    for p in written:
        print(f"wrote {p}")
    return 0


#: Largest zone map ``evaluate`` computes (41 x 41 points, a 3 cm step over +-0.6 m).
MAX_ZONE_POINTS = 1681
#: Seconds per zone-map point, three systems, one yaw, in a room (measured: 0.18 s on one of
#: this project's 2 cores), for the estimate ``evaluate`` prints.
_SECONDS_PER_ZONE_POINT = 0.2


def _zone_grid(scene, step: float):
    """Return the zone-map grid of ``--zone-step``; degenerate or absurd grids are refused."""
    from experiments.report import default_zone_grid

    x, y = default_zone_grid(scene, step=step)
    n = x.size * y.size
    if x.size < 2 or y.size < 2:
        raise _UsageError(
            f"--zone-step {step:g}: the zone map spans +-0.6 m around the listener (inside the "
            f"room), so this gives a {x.size} x {y.size} grid; use a step of at most 0.6 m"
        )
    minutes = n * _SECONDS_PER_ZONE_POINT / 60.0
    if n > MAX_ZONE_POINTS:
        raise _UsageError(
            f"--zone-step {step:g} gives a {x.size} x {y.size} grid ({n} points, about "
            f"{minutes:.0f} min); at most {MAX_ZONE_POINTS} points: use a step of at least 0.03 m"
        )
    print(f"zone maps: {x.size} x {y.size} points (about {minutes * 60:.0f} s)")
    return x, y


def _figures(args: argparse.Namespace) -> int:
    """Run the ``figures`` subcommand."""
    import matplotlib

    matplotlib.use("Agg")
    from experiments.figures import make_all

    if not 20 <= args.dpi <= 600:
        raise _UsageError(f"--dpi must lie in [20, 600], got {args.dpi}")
    outdir = _prepare_outdir(Path(args.outdir))
    for p in make_all(outdir, dpi=args.dpi, progress=True):
        print(f"wrote {p}")
    return 0


def _demo(outdir: Path, head_name: str, *, quick: bool = False) -> int:
    """Run the ``demo`` subcommand; see the module docstring."""
    start = time.perf_counter()
    outdir = _prepare_outdir(outdir)
    head = _make_head(head_name)

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from acoustics.plot import plot_level_map, plot_magnitude, plot_polar, plot_scene
    from acoustics.scene import azimuth_transfer, default_scene, ear_transfer

    scene = default_scene(head=head)
    freqs = np.fft.rfftfreq(_N_FFT, 1.0 / _FS)
    ears = ear_transfer(scene, freqs)
    azimuths = np.arange(-180.0, 180.0, _AZIMUTH_STEP_DEG)
    beams = azimuth_transfer(scene.device, azimuths, freqs)
    drivers = scene.device.driver_names

    written: list[Path] = []

    def save(fig, name: str) -> None:
        path = outdir / name
        try:
            fig.savefig(path, dpi=110)
        except OSError as exc:
            raise _UsageError(f"cannot write {str(path)!r}: {exc}") from exc
        finally:
            plt.close(fig)
        written.append(path)

    fig, ax = plt.subplots(figsize=(7.0, 4.5), layout="constrained")
    plot_scene(scene, ax=ax)
    ax.set_title(f"default scene, head: {type(head).__name__}", fontsize="medium")
    save(fig, "scene.png")

    fig, ax = plt.subplots(figsize=(8.0, 4.8), layout="constrained")
    plot_magnitude(ears, ax=ax, db_floor=-60.0)
    ax.set_title("driver-to-ear responses (solid: left ear, dashed: right ear)", fontsize="medium")
    save(fig, "ear_transfer.png")

    ncols = min(len(drivers), 3)
    nrows = -(-len(drivers) // ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        subplot_kw={"projection": "polar"},
        figsize=(4.6 * ncols, 4.4 * nrows),
        layout="constrained",
        squeeze=False,
    )
    for ax, name in zip(axes.flat, drivers, strict=False):
        plot_polar(beams, _POLAR_FREQS_HZ, source=name, ax=ax)
        ax.set_title(f"driver {name!r}", fontsize="medium")
    for ax in list(axes.flat)[len(drivers) :]:
        ax.set_visible(False)
    save(fig, "polar.png")

    fig, axes = plt.subplots(
        nrows, ncols, figsize=(4.8 * ncols, 3.8 * nrows), layout="constrained", squeeze=False
    )
    for ax, name in zip(axes.flat, drivers, strict=False):
        plot_level_map(beams, source=name, ax=ax)
        ax.set_title(f"driver {name!r}", fontsize="medium")
    for ax in list(axes.flat)[len(drivers) :]:
        ax.set_visible(False)
    save(fig, "level_map.png")

    summary = _summary(scene, ears, beams)
    summary["files"] = [p.name for p in written] + ["summary.json"]
    summary["elapsed_s"] = round(time.perf_counter() - start, 2)
    path = outdir / "summary.json"
    try:
        path.write_text(json.dumps(summary, indent=2) + "\n")
    except OSError as exc:
        raise _UsageError(f"cannot write {str(path)!r}: {exc}") from exc
    written.append(path)

    if not quick:
        from experiments.main_job import run_main_job

        written.extend(run_main_job(outdir, head=head, progress=True))
    for p in written:
        print(f"wrote {p}")
    return 0


def _rounded(values: Any, digits: int = 4) -> Any:
    """Plain-Python floats (or nested lists of them) rounded for JSON."""
    return np.round(np.asarray(values, dtype=float), digits).tolist()


def _summary(scene, ears, beams) -> dict[str, Any]:
    """Collect the content of summary.json."""
    listener = scene.listener
    head = listener.head
    i_f = int(np.argmin(np.abs(ears.freqs - _SUMMARY_FREQ_HZ)))
    with np.errstate(divide="ignore"):
        level = 20.0 * np.log10(np.abs(ears.H[:, :, i_f]))  # (2, n_drivers)
    levels = {
        name: {ear: round(float(level[e, d]), 2) for e, ear in enumerate(ears.receivers)}
        for d, name in enumerate(ears.sources)
    }
    world = scene.driver_positions
    drivers = [
        {
            "name": d.name,
            "position_device_m": _rounded(d.position),
            "position_world_m": _rounded(world[i]),
            "orientation_device": _rounded(d.orientation),
            "directivity": type(d.directivity).__name__,
        }
        for i, d in enumerate(scene.device.drivers)
    ]
    return {
        "scene": {
            "device": scene.device.name,
            "device_position_m": _rounded(scene.device_position),
            "device_yaw_deg": float(scene.device_yaw_deg),
            "drivers": drivers,
            "listener": {
                "position_m": _rounded(listener.position),
                "yaw_deg": float(listener.yaw_deg),
                "head": type(head).__name__,
                "head_radius_m": float(head.radius),
                "ear_positions_world_m": _rounded(listener.ear_positions),
            },
            "room": None if scene.room is None else type(scene.room).__name__,
        },
        "frequencies": {
            "fs_hz": _FS,
            "n_fft": _N_FFT,
            "n_bins": int(ears.freqs.size),
            "min_hz": float(ears.freqs[0]),
            "max_hz": float(ears.freqs[-1]),
            "resolution_hz": float(ears.freqs[1] - ears.freqs[0]),
        },
        "azimuths_deg": {
            "min": float(beams.directions.azimuths_deg.min()),
            "max": float(beams.directions.azimuths_deg.max()),
            "step": _AZIMUTH_STEP_DEG,
            "frame": "device (0 = on-axis, +90 = device's left)",
        },
        "ear_levels_1khz": {
            "frequency_hz": float(ears.freqs[i_f]),
            "unit": "dB re 1 Pa per unit source",
            "levels_db": levels,
        },
    }


if __name__ == "__main__":  # pragma: no cover - `python -m experiments.cli`
    sys.exit(main())
