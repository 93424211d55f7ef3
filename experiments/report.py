"""The evaluation report: ``metrics.json``, ``report.md`` and its figures for a chain in a scene.

:func:`write_report` runs :func:`design.evaluation.evaluate` at the scene's listener and
:func:`design.evaluation.zone_maps` over a grid around it, then writes

- ``metrics.json``: every scalar measure per system (chain, matrix mixing, stereo pair), the pan
  sweep, the sweet-spot areas and the settings;
- ``report.md``: the comparison table, the answers to "is it better?" with their numbers, and
  the figures:
- ``eval_separation.png`` (at the ears and of the crosstalk cancellation),
  ``eval_azimuth.png`` (perceived azimuth of the pan sweep against the tangent law),
  ``eval_depth.png`` (IACC_E and DRR of the phantom centre), ``eval_zones.png`` (separation and
  centre bias over the listening area for each system) and ``eval_beam.png`` (the chain's
  centre beam over azimuth and frequency).

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


def _table(ev, zones) -> list[str]:
    systems = list(ev.systems)
    rows: list[tuple[str, list[str]]] = []

    def row(name: str, values: list[str]) -> None:
        rows.append((name, values))

    s = [ev.systems[k] for k in systems]
    row("perceived width, hard L - hard R (deg)", [_fmt(x.width_deg) for x in s])
    row("hard-left azimuth (deg)", [_fmt(x.perceived_azimuth_deg[0]) for x in s])
    row("hard-right azimuth (deg)", [_fmt(x.perceived_azimuth_deg[-1]) for x in s])
    row("centre bias (deg)", [_fmt(x.centre_bias_deg) for x in s])
    row("separation at the ears (dB)", [_fmt(x.separation_band_db) for x in s])
    row("crosstalk-cancellation separation (dB)", [_fmt(x.ctc_separation_band_db) for x in s])
    for key, label, digits in (
        ("iacc", "IACC, centre", 3),
        ("iacc_early", "IACC_E, centre", 3),
        ("drr_db", "DRR, centre (dB)", 1),
        ("c50_db", "C50, centre (dB)", 1),
    ):
        row(label, [_fmt(x.depth["centre"][key], digits) for x in s])
    row("directivity factor Q of the centre", [_fmt(x.directivity_factor, 2) for x in s])
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


def _answers(ev) -> list[str]:
    """Return the comparative statements, each with its numbers, whichever way they go."""
    c, m, p = (ev.systems[k] for k in ("chain", "matrix_mixing", "stereo_pair"))
    out = []
    wider = c.width_deg > m.width_deg
    out.append(
        f"- **Width**: the chain's image spans {c.width_deg:.1f} deg, matrix mixing's "
        f"{m.width_deg:.1f} deg and the stereo pair's {p.width_deg:.1f} deg: the chain is "
        f"{'wider' if wider else 'not wider'} than matrix mixing."
    )
    dd = c.depth["centre"]["drr_db"] - m.depth["centre"]["drr_db"]
    di = c.depth["centre"]["iacc_early"] - m.depth["centre"]["iacc_early"]
    out.append(
        f"- **Depth**: for the phantom centre the chain changes DRR by {dd:+.1f} dB and IACC_E by "
        f"{di:+.3f} over matrix mixing (directivity factor {c.directivity_factor:.2f} against "
        f"{m.directivity_factor:.2f})."
    )
    out.append(
        f"- **Separation**: the crosstalk cancellation reaches {c.ctc_separation_band_db:.1f} dB "
        f"in {ev.settings['band_hz'][0]:g}-{ev.settings['band_hz'][1]:g} Hz at this listener "
        f"(matrix mixing {m.ctc_separation_band_db:.1f} dB, the stereo pair "
        f"{p.ctc_separation_band_db:.1f} dB)."
    )
    return out


def _figures(ev, zones, chain, scene, outdir: Path) -> list[Path]:
    import matplotlib.pyplot as plt

    from acoustics.scene import azimuth_transfer
    from design.chain import filter_response
    from design.evaluation import SYSTEMS
    from design.plot import plot_beam_map
    from design.plot_evaluation import (
        plot_depth,
        plot_perceived_azimuth,
        plot_separation,
        plot_zone_map,
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
    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    plot_perceived_azimuth(ev, ax=ax)
    save(fig, "eval_azimuth.png")
    fig, ax = plt.subplots(figsize=(6, 4), layout="constrained")
    plot_depth(ev, ax=ax)
    save(fig, "eval_depth.png")
    if zones:
        fig, axes = plt.subplots(2, 3, figsize=(15, 9), layout="constrained")
        device_xy = tuple(scene.device_position[:2])
        for j, name in enumerate(SYSTEMS):
            for i, fld in enumerate(("separation_db", "centre_bias_deg")):
                plot_zone_map(zones[name], field=fld, device_xy=device_xy, ax=axes[i, j])
        save(fig, "eval_zones.png")
    freqs = np.geomspace(100.0, 16000.0, 160)
    tm = azimuth_transfer(scene.device, freqs, np.arange(-180.0, 180.0, 2.0))
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
    progress: bool = True,
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
        Show progress bars.
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
            "a {:g} x {:g} x {:g} m room (image sources to order {})".format(
                *scene.room.dimensions, scene.room.max_order
            )
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
        "listener's distance in the same room. Measures as defined in `design.evaluation`.",
        "",
        *_table(ev, zones),
        "",
        "## Is it better?",
        "",
        *_answers(ev),
        "",
        "## Figures",
        "",
    ]
    captions = {
        "eval_separation.png": "Separation at the ears (left) and of the crosstalk cancellation "
        "(right).",
        "eval_azimuth.png": "Perceived azimuth of the pan sweep; dashed: the tangent law.",
        "eval_depth.png": "IACC_E and DRR of the phantom centre.",
        "eval_zones.png": "CTC separation (top) and centre bias (bottom) over the listening "
        "area; the sweet spot outlined.",
        "eval_beam.png": "The chain's centre path over azimuth and frequency.",
    }
    for p in written:
        if p.name in captions:
            lines += [f"![{p.stem}]({p.name})", "", captions[p.name], ""]
    path = outdir / "report.md"
    path.write_text("\n".join(lines))
    written.append(path)
    return written
