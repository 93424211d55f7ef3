"""The main job of ``soundstage demo``: design the chain, render a test clip, preview it binaurally.

Steps (each shown on a progress bar):

1. the built-in stereo clip, :func:`design.render.upmix.synthetic_mixture` (a centre voice,
instruments
   panned hard and part left and right, ambience; nothing downloaded);
2. the scene: the smart speaker 0.5 m from a living room's wall, a listener 2 m in front, facing
   it (:func:`acoustics.scene.living_room_scene`);
3. the chain designed for it (:func:`design.chain.design_chain`, on the direct sound) and the
   matrix-mixing baseline;
4. driver feeds of both (WAV, one channel per driver);
5. binaural previews in the room of the chain, of matrix mixing and of a reference stereo pair at
   +-30 deg (WAV, left and right ear), scaled by one common factor so that they compare;
6. plots of the chain's filters and of its ear responses, and ``chain_summary.json`` (separation at
   the listener, latency, files);
7. the evaluation report (:func:`experiments.report.write_report`): the chain against matrix mixing
   and the stereo pair in the room, ``metrics.json``, ``report.md`` and figures, with zone maps on
   a 7 x 7 grid 0.2 m apart around the listener.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

__all__ = ["run_main_job"]

FS = 48000.0
CLIP_SECONDS = 6.0


def _separation_db(chain, scene) -> dict[str, float]:
    """Median left-path ipsi/contra level at the listener, free field and in the room."""
    import dataclasses

    from acoustics.scene import ear_transfer
    from design.chain import filter_response

    freqs = np.fft.rfftfreq(2048, 1 / FS)[1:]
    w = filter_response(chain, freqs)
    out = {}
    band = (freqs >= 500) & (freqs <= 4000)
    for label, s in (("free_field", dataclasses.replace(scene, room=None)), ("room", scene)):
        r = ear_transfer(s, freqs).apply(w)
        sep = 20 * np.log10(np.abs(r[0, 0]) / np.abs(r[1, 0]))
        out[label] = round(float(np.median(sep[band])), 2)
    return out


def run_main_job(outdir: Path, *, head=None, progress: bool = False) -> list[Path]:
    """Run the main job into ``outdir`` (which must exist); return the files written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from acoustics.scene import living_room_scene
    from design.chain import design_chain, matrix_mixing_chain, render
    from design.evaluation.preview import binaural_preview
    from design.filters.fir import FIRFilterSet
    from design.plot import plot_filters
    from design.render.audio import fit_full_scale, write_wav
    from design.render.upmix import synthetic_mixture

    start = time.perf_counter()
    written: list[Path] = []
    steps = tqdm(total=7, desc="soundstage demo", disable=not progress, unit="step")

    mixture = synthetic_mixture(FS, CLIP_SECONDS, seed=0)
    # The clip within full scale (the mixture's stems sum beyond it): everything below is
    # linear, so its level only sets the files' level.
    stereo, input_gain_db = fit_full_scale(mixture.stereo)
    written.append(write_wav(outdir / "input_stereo.wav", stereo, int(FS)))
    steps.update()

    scene = living_room_scene(head=head)
    steps.set_postfix_str("designing the chain")
    chain = design_chain(scene, fs=FS)
    mixing = matrix_mixing_chain(scene, fs=FS)
    steps.update()

    steps.set_postfix_str("rendering driver feeds")
    feeds = {"chain": render(chain, stereo, FS), "matrix_mixing": render(mixing, stereo, FS)}
    # One gain for both sets of feeds (so they compare), within full scale, stated.
    feed_peak = max(float(np.max(np.abs(y))) for y in feeds.values())
    feeds_gain_db = min(0.0, float(20 * np.log10(0.9 / feed_peak)))
    for name, y in feeds.items():
        comment = f"soundstage demo: feeds scaled by {feeds_gain_db:.2f} dB (both systems)"
        written.append(
            write_wav(
                outdir / f"feeds_{name}.wav",
                y * 10 ** (feeds_gain_db / 20),
                int(FS),
                comment=comment,
            )
        )
    steps.update()

    steps.set_postfix_str("binaural previews (room)")
    previews = binaural_preview(chain, scene, stereo, FS)
    previews["matrix_mixing"] = binaural_preview(mixing, scene, stereo, FS, reference=False)[
        "chain"
    ]
    peak = max(float(np.max(np.abs(p))) for p in previews.values())
    for name, y in previews.items():
        written.append(write_wav(outdir / f"binaural_{name}.wav", 0.9 * y / peak, int(FS)))
    steps.update()

    steps.set_postfix_str("plots")
    fir = FIRFilterSet(chain.filters, chain.fs, ("left", "right", "centre"), chain.drivers)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), layout="constrained")
    plot_filters(fir, kind="magnitude", ax=axes[0])
    plot_filters(fir, kind="impulse", ax=axes[1])
    written.append(outdir / "chain_filters.png")
    fig.savefig(written[-1], dpi=110)
    plt.close(fig)
    steps.update()

    summary: dict[str, Any] = {
        "scene": "smart speaker in a living room (5.5 x 4.2 x 2.6 m), listener 2 m in front",
        "fs_hz": FS,
        "clip_seconds": CLIP_SECONDS,
        "chain": {
            "n_taps": int(chain.filters.shape[-1]),
            "latency_ms": round(1000 * chain.latency_samples / FS, 2),
            "upmix": chain.upmix,
            "left_path_separation_db_500_4000_hz": _separation_db(chain, scene),
            "virtualizer_fit_error": {
                k: round(float(v), 3) for k, v in chain.virtual.virtualizer.fit_error.items()
            },
        },
        "input_gain_db": round(input_gain_db, 2),
        "feeds_gain_db": round(feeds_gain_db, 2),
        "binaural_gain_db": round(float(20 * np.log10(0.9 / peak)), 2),
        "files": [p.name for p in written] + ["chain_summary.json"],
        "elapsed_s": round(time.perf_counter() - start, 1),
    }
    path = outdir / "chain_summary.json"
    path.write_text(json.dumps(summary, indent=2) + "\n")
    written.append(path)
    steps.update()

    from experiments.report import default_zone_grid, write_report

    steps.set_postfix_str("evaluation report")
    grid = default_zone_grid(scene)
    written.extend(
        write_report(chain, scene, outdir, zone_grid=grid, progress=False, title="soundstage demo")
    )
    steps.update()
    steps.close()
    return written
