"""The seven reference figures (issue 7): one module per figure, physics apart from plotting.

Every module exposes ``compute(...) -> <Result>`` (a frozen dataclass of arrays: the physics the
figure shows, no plotting) and ``plot(result, ax=None)`` (draws on the given axes, or on a new
figure with the panels it needs; returns the axes). :data:`FIGURES` maps each figure's file stem
to its module, in order; :func:`make_all` computes and writes all of them.

1. :mod:`~experiments.figures.geometry`: the stereo-angle geometry;
2. :mod:`~experiments.figures.crosstalk`: crosstalk simulation against the relative HRTFs;
3. :mod:`~experiments.figures.ctc_filters`: CTC filters, RTF form, cancelled contralateral path;
4. :mod:`~experiments.figures.room_impact`: the centre beam in a room (DRR, r_c, coherence);
5. :mod:`~experiments.figures.beams`: matrix mixing against the null beam over frequency/azimuth;
6. :mod:`~experiments.figures.phantom_centre`: mid/side and the extracted centre;
7. :mod:`~experiments.figures.signal_flow`: each path of the chain at the listener.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType, ModuleType
from typing import Any

from experiments.figures import (
    beams,
    crosstalk,
    ctc_filters,
    geometry,
    phantom_centre,
    room_impact,
    signal_flow,
)

__all__ = ["FIGURES", "make_all"]

#: Figure file stem -> module, in the order of issue 7.
FIGURES: Mapping[str, ModuleType] = MappingProxyType(
    {
        "fig1_geometry": geometry,
        "fig2_crosstalk_simulation": crosstalk,
        "fig3_ctc_filters": ctc_filters,
        "fig4_room_impact": room_impact,
        "fig5_beamforming": beams,
        "fig6_phantom_centre": phantom_centre,
        "fig7_signal_flow": signal_flow,
    }
)


def make_all(
    outdir: str | Path,
    *,
    progress: bool = False,
    dpi: int = 110,
    results: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Compute every figure with its defaults and write ``<stem>.png`` into ``outdir``.

    Parameters
    ----------
    outdir : str or Path
        An existing directory.
    progress : bool, optional
        Show a progress bar (tqdm); off by default (the command line turns it on).
    dpi : int, optional
        Resolution of the PNGs.
    results : mapping of str to Result, optional
        Results already computed, by figure stem (e.g. to plot without recomputing); the others
        are computed here.

    Returns
    -------
    list of Path
        The PNGs, in :data:`FIGURES` order.
    """
    import matplotlib.pyplot as plt
    from tqdm import tqdm

    out = Path(outdir)
    if not out.is_dir():
        raise ValueError(f"outdir must be an existing directory, got {str(outdir)!r}")
    given = dict(results or {})
    unknown = set(given) - set(FIGURES)
    if unknown:
        raise ValueError(f"results has unknown figures {sorted(unknown)}; known: {list(FIGURES)}")
    written: list[Path] = []
    bar = tqdm(FIGURES.items(), desc="figures", unit="fig", disable=not progress)
    for stem, module in bar:
        bar.set_postfix_str(stem)
        result = given[stem] if stem in given else module.compute()
        drawn = module.plot(result)
        first = drawn if not isinstance(drawn, list) else drawn[0]
        fig = first.figure
        path = out / f"{stem}.png"
        try:
            fig.savefig(path, dpi=dpi)
        finally:
            plt.close(fig)
        written.append(path)
    return written
