"""The evaluation report: ``metrics.json``, ``report.md`` and its figures for a chain in a scene.

:func:`write_report` runs :func:`design.evaluation.evaluate` at the scene's listener and
:func:`design.evaluation.zone_maps` over a grid around it, then writes

- ``metrics.json``: every scalar measure per system (chain, matrix mixing, stereo pair), the pan
  sweep, the sweet-spot areas and the settings;
- ``report.md``: the comparison table, the answers to "is it better?" with their numbers, and
  the figures:
- ``eval_separation.png`` (at the ears and of the crosstalk cancellation, full response,
  1/6-octave smoothed for display), ``eval_segments.png`` (the band separation per time
  segment), ``eval_azimuth.png`` (perceived azimuth of the pan sweep against the tangent law),
  ``eval_depth.png`` (IACC of hard left / right, early and late, and the centre's DRR),
  ``eval_zones.png`` (CTC separation, centre error and hard-left error over the listening area
  for each system, one colour scale per measure) and ``eval_beam.png`` (the chain's centre beam
  over azimuth and frequency).

The report states every comparison with its numbers, whichever way it goes; in free field it
makes no DRR or C50 claims (there is no reverberant part).

``soundstage evaluate [SCENE.toml]`` and the end of ``soundstage demo`` call it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["write_report", "default_zone_grid"]

_LABELS = {"chain": "chain", "matrix_mixing": "matrix mixing", "stereo_pair": "stereo pair"}


def default_zone_grid(scene, *, half_width: float = 0.6, step: float = 0.2):
    """Return a square grid ``(x, y)`` around the scene's listener, clipped to the room."""
    centre = scene.listener.position
    offsets = np.arange(-half_width, half_width + 1e-9, step)
    x, y = centre[0] + offsets, centre[1] + offsets
    if scene.room is not None:
        margin = 0.3  # the head and the reference pair need room around them
        dims = scene.room.dimensions
        x = x[(x > margin) & (x < dims[0] - margin)]
        y = y[(y > margin) & (y < dims[1] - margin)]
    return x, y


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return "n/a"
    return f"{value:.{digits}f}"


def _sep(x, kind: str, seg: str) -> str:
    sep = (x.separation if kind == "ears" else x.ctc_separation)[seg]
    return f"{sep.median_db:.1f} ({sep.p10_db:.1f})"


def _table(ev, zones) -> list[str]:
    systems = list(ev.systems)
    rows: list[tuple[str, list[str]]] = []

    def row(name: str, values: list[str]) -> None:
        rows.append((name, values))

    s = [ev.systems[k] for k in systems]
    row("perceived width, hard L - hard R (deg)", [_fmt(x.width_deg) for x in s])
    row("hard-left azimuth (deg)", [_fmt(x.perceived_azimuth_deg[0]) for x in s])
    row("hard-left intended (deg)", [_fmt(x.intended_azimuth_deg[0]) for x in s])
    row("hard-right azimuth (deg)", [_fmt(x.perceived_azimuth_deg[-1]) for x in s])
    row("hard-right intended (deg)", [_fmt(x.intended_azimuth_deg[2]) for x in s])
    row("centre error (deg)", [_fmt(x.centre_bias_deg) for x in s])
    row("early limit (ms after onset)", [_fmt(x.early_limit_ms, 2) for x in s])
    for seg in ("direct", "early", "full"):
        row(f"separation at the ears, {seg} (dB: median (p10))", [_sep(x, "ears", seg) for x in s])
    for seg in ("direct", "early", "full"):
        row(f"CTC separation, {seg} (dB: median (p10))", [_sep(x, "ctc", seg) for x in s])
    row("sweet spot here", ["yes" if x.sweet_spot else "no" for x in s])
    reverberant = ev.scene.room is not None and ev.scene.room.reverberant
    for part, label in (("hard_left", "hard left"), ("hard_right", "hard right")):
        row(f"IACC_E 0-80 ms, {label}", [_fmt(x.depth[part]["iacc_early"], 3) for x in s])
        if reverberant:
            row(f"IACC_L 80 ms-end, {label}", [_fmt(x.depth[part]["iacc_late"], 3) for x in s])
    if reverberant:
        for key, label in (("drr_db", "DRR"), ("c50_db", "C50")):
            for part in ("centre", "hard_left"):
                name = "phantom centre" if part == "centre" else "hard left"
                row(f"{label}, {name} (dB)", [_fmt(x.depth[part][key]) for x in s])
    row("directivity factor Q of the centre", [_fmt(x.directivity_factor, 2) for x in s])
    if ev.scene.room is not None:
        row("critical distance (m)", [_fmt(x.critical_distance_m, 2) for x in s])
    if zones:
        row(
            "sweet-spot area (m^2)",
            [_fmt(float(zones[k].sweet_spot_area_m2[0]), 2) for k in systems],
        )
    header = "| measure | " + " | ".join(_LABELS[k] for k in systems) + " |"
    lines = [header, "|---" * (len(systems) + 1) + "|"]
    lines += [f"| {name} | " + " | ".join(values) + " |" for name, values in rows]
    return lines


def _segments_text(ev) -> list[str]:
    """Explain the segments and the sweet-spot rule with this evaluation's settings."""
    st = ev.settings
    lo, hi = st["band_hz"]
    limit = (
        f"{st['early_ms']:g} ms after the onset (as asked)"
        if st["early_ms"] is not None
        else "just before the first reflection from a side wall (from the image sources of each "
        "system's drivers, less a head diameter's travel time), or the whole response in free "
        "field"
    )
    return [
        "## How it is measured",
        "",
        "Each ear response is judged in three time segments, counted from its onset (the first "
        "sample within 20 dB of its peak): *direct*, 1 ms before the onset to 2.5 ms after it; "
        f"*early*, 1 ms before the onset to {limit}; and *full*, the steady state. Segments are "
        f"cut in the time domain with {st['fade_ms']:g} ms raised-cosine fades inside their "
        "ends. Separation is the ipsilateral over contralateral energy in the 1/3-octave bands "
        f"of {lo:g}-{hi:g} Hz, averaged over hard left and hard right, summarized by the median "
        "and the 10th percentile (p10) over the bands; the *CTC* separation divides out the "
        "crosstalk a virtualizing chain adds back on purpose. Perceived azimuths come from the "
        "precedence-aware binaural model (acoustics.metrics.localization) on the whole response.",
        "",
        "A listener is in a system's sweet spot when hard left and hard right are heard within "
        f"{st['azimuth_tolerance_deg']:g} deg of their intended directions and the phantom "
        f"centre within {st['centre_tolerance_deg']:g} deg of the device (Wierstorf, Raake & "
        "Spors, AES 2013); for the chain, which cancels crosstalk, also with an early CTC "
        f"separation of at least {st['separation_min_db']:g} dB. Intended directions are fixed "
        "in the room: the chain's virtual loudspeakers, matrix mixing's outermost drivers, the "
        "stereo pair's loudspeakers (set up for the nominal listener). Matrix mixing intends "
        "only the width of its own enclosure, so its sweet spot says that its narrow image is "
        "where it should be, not that it is wide.",
        "",
    ]


def _answers(ev, zones) -> list[str]:
    """Return the comparative statements, each with its numbers, whichever way they go."""
    c, m, p = (ev.systems[k] for k in ("chain", "matrix_mixing", "stereo_pair"))
    out = []
    wider = c.width_deg > m.width_deg
    out.append(
        f"- **Width**: the chain's image spans {c.width_deg:.1f} deg, matrix mixing's "
        f"{m.width_deg:.1f} deg and the stereo pair's {p.width_deg:.1f} deg: the chain is "
        f"{'wider' if wider else 'not wider'} than matrix mixing, and "
        f"{'wider' if c.width_deg > p.width_deg else 'narrower'} than the stereo pair."
    )
    cd, ce, cf = (c.ctc_separation[k].median_db for k in ("direct", "early", "full"))
    ears = {k: x.separation["early"].median_db for k, x in ev.systems.items()}
    out.append(
        f"- **Separation**: the chain's crosstalk cancellation reaches {cd:.1f} dB in the "
        f"direct segment, {ce:.1f} dB in the early one and {cf:.1f} dB in the full response "
        f"(medians over bands); at the ears the chain separates {ears['chain']:.1f} dB early "
        f"against the stereo pair's {ears['stereo_pair']:.1f} dB and matrix mixing's "
        f"{ears['matrix_mixing']:.1f} dB."
    )
    if ev.scene.room is not None:
        out.append(
            f"- **Room**: in the steady state the chain keeps {cf:.1f} dB of its {ce:.1f} dB "
            f"early cancellation, the stereo pair {p.separation['full'].median_db:.1f} of "
            f"{p.separation['early'].median_db:.1f} dB of natural separation: the reflections "
            "after the early limit are what undo the cancellation."
        )
    sweet = [k for k, x in ev.systems.items() if x.sweet_spot]
    out.append(
        "- **Sweet spot at this listener**: "
        + ("; ".join(
            f"{_LABELS[k]} {'yes' if x.sweet_spot else 'no'} (hard L "
            f"{x.criteria['hard_left_error_deg']:+.1f} deg, hard R "
            f"{x.criteria['hard_right_error_deg']:+.1f} deg, centre "
            f"{x.criteria['centre_error_deg']:+.1f} deg"
            + (f", early CTC {x.criteria['early_ctc_separation_db']:.1f} dB" if x.cancels_crosstalk
               else "")
            + ")"
            for k, x in ev.systems.items()
        ))
        + f": {len(sweet)} of 3 systems."
    )  # fmt: skip
    if zones:
        areas = {k: float(z.sweet_spot_area_m2[0]) for k, z in zones.items()}
        out.append(
            "- **Sweet-spot areas** over the grid: chain {chain:.2f} m^2, matrix mixing "
            "{matrix_mixing:.2f} m^2, stereo pair {stereo_pair:.2f} m^2.".format(**areas)
        )
    ie = [x.depth["hard_left"]["iacc_early"] for x in (c, m, p)]
    depth = (
        f"- **Depth**: the hard-left IACC_E is {ie[0]:.3f} for the chain, {ie[1]:.3f} for "
        f"matrix mixing and {ie[2]:.3f} for the stereo pair (lower: less similar ears, a wider "
        "source)"
    )
    if ev.scene.room is not None and c.depth["centre"]["drr_db"] is not None:
        dd = c.depth["centre"]["drr_db"] - m.depth["centre"]["drr_db"]
        depth += (
            f"; for the phantom centre the chain changes DRR by {dd:+.1f} dB and C50 by "
            f"{c.depth['centre']['c50_db'] - m.depth['centre']['c50_db']:+.1f} dB over matrix "
            f"mixing (directivity factor {c.directivity_factor:.2f} against "
            f"{m.directivity_factor:.2f}, critical distance {c.critical_distance_m:.2f} m "
            f"against {m.critical_distance_m:.2f} m)."
        )
    else:
        depth += "; in free field there is no reverberant part: no DRR or C50."
    out.append(depth)
    return out


def _figures(ev, zones, chain, scene, outdir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from acoustics.scene import azimuth_transfer
    from design.chain import filter_response
    from design.evaluation import SYSTEMS
    from design.plot import plot_beam_map
    from design.plot.evaluation import (
        plot_depth,
        plot_perceived_azimuth,
        plot_segment_separation,
        plot_separation,
        plot_zone_map,
        zone_colour_limits,
    )

    written = []

    def save(fig, name: str) -> None:
        path = outdir / name
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    plot_separation(ev, kind="ears", ax=axes[0])
    plot_separation(ev, kind="ctc", ax=axes[1])
    save(fig, "eval_separation.png")
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), layout="constrained")
    plot_segment_separation(ev, kind="ears", ax=axes[0])
    plot_segment_separation(ev, kind="ctc", ax=axes[1])
    save(fig, "eval_segments.png")
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    plot_perceived_azimuth(ev, ax=ax)
    save(fig, "eval_azimuth.png")
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    plot_depth(ev, ax=ax)
    save(fig, "eval_depth.png")
    if zones:
        measures = ("separation_db", "centre_bias_deg", "hard_left_error_deg")
        fig, axes = plt.subplots(len(measures), 3, figsize=(15, 4.5 * len(measures)),
                                 layout="constrained")  # fmt: skip
        device_xy = tuple(scene.device_position[:2])
        for i, fld in enumerate(measures):
            vmin, vmax = zone_colour_limits(zones, fld)  # one scale per measure
            for j, name in enumerate(SYSTEMS):
                plot_zone_map(zones[name], field=fld, device_xy=device_xy, vmin=vmin, vmax=vmax,
                              ax=axes[i, j])  # fmt: skip
        save(fig, "eval_zones.png")
    freqs = np.geomspace(100.0, 16000.0, 160)
    tm = azimuth_transfer(scene.device, np.arange(-180.0, 180.0, 2.0), freqs)
    w = filter_response(chain, freqs)[:, 2, :]  # the centre path
    fig, ax = plt.subplots(figsize=(7, 4.5), layout="constrained")
    plot_beam_map(tm, w, ax=ax)
    save(fig, "eval_beam.png")
    return written


def write_report(
    chain,
    scene,
    outdir: Path,
    *,
    zone_grid: tuple[Any, Any] | None = None,
    yaw_offsets_deg: Any = (0.0,),
    progress: bool = False,
    title: str = "soundstage evaluation",
) -> list[Path]:
    """Evaluate ``chain`` in ``scene`` and write the report into ``outdir`` (which must exist).

    Parameters
    ----------
    chain : Chain
        The design.
    scene : Scene
        The true scene, one listener.
    outdir : Path
        Output folder.
    zone_grid : (x, y), optional
        Grid of the zone maps; :func:`default_zone_grid` by default; ``False`` skips the maps.
    yaw_offsets_deg : array_like, optional
        Head yaws of the zone maps, relative to facing the device.
    progress : bool, optional
        Show progress bars; off by default (the command line turns it on).
    title : str, optional
        Heading of ``report.md``.

    Returns
    -------
    list of Path
        The files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    from design.evaluation import evaluate, evaluation_to_dict, zone_maps

    ev = evaluate(chain, scene)
    zones = None
    if zone_grid is not False:
        x, y = default_zone_grid(scene) if zone_grid is None else zone_grid
        zones = zone_maps(chain, scene, x, y, yaw_offsets_deg=yaw_offsets_deg, progress=progress)
    written = _figures(ev, zones, chain, scene, outdir)
    metrics = evaluation_to_dict(ev, zones)
    path = outdir / "metrics.json"
    path.write_text(json.dumps(metrics, indent=2, allow_nan=False) + "\n")
    written.append(path)

    lis = scene.listener
    room = (
        "free field"
        if scene.room is None
        else (
            "a {:g} x {:g} x {:g} m room ({})".format(*scene.room.dimensions, scene.room.describe())
        )
    )
    lines = [
        f"# {title}",
        "",
        f"Device **{scene.device.name}** ({len(scene.device.drivers)} drivers) in {room}; "
        f"listener at ({', '.join(f'{v:g}' for v in lis.position)}) m, yaw {lis.yaw_deg:g} deg, "
        f"head model {type(lis.head).__name__}. Chain: {chain.name}, "
        f"{chain.filters.shape[-1]} taps, upmix {chain.upmix}.",
        "",
        "Comparisons: matrix mixing on the same device, and a stereo pair at +-30 deg at the "
        "listener's distance in the same room, set up for this listener and fixed in the room "
        "for the zone maps. Measures as defined in `design.evaluation`.",
        "",
        *_segments_text(ev),
        *_table(ev, zones),
        "",
        "## Is it better?",
        "",
        *_answers(ev, zones),
        "",
        "## Figures",
        "",
    ]
    captions = {
        "eval_separation.png": "Separation of the full response at the ears (left) and of the "
        "crosstalk cancellation (right), smoothed to 1/6 octave for display.",
        "eval_segments.png": "Band separation per segment (median over 1/3-octave bands; whisker "
        "down to the 10th percentile), at the ears (left) and of the crosstalk cancellation.",
        "eval_azimuth.png": "Perceived azimuth of the pan sweep; dashed: the tangent law.",
        "eval_depth.png": "IACC of the hard-left / right stimuli, early and late (in a room), "
        "and the phantom centre's DRR (in a room).",
        "eval_zones.png": "Early CTC separation (top), centre error (middle) and hard-left "
        "error (bottom) over the listening area, one colour scale per row; the sweet spot "
        "outlined.",
        "eval_beam.png": "The chain's centre path over azimuth and frequency.",
    }
    for p in written:
        if p.name in captions:
            lines += [f"![{p.stem}]({p.name})", "", captions[p.name], ""]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    written.append(path)
    return written
