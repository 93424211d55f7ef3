"""Designed filters out of the toolkit, for a DSP, a plug-in or another tool, and back in.

:func:`save_filters` writes a :class:`~design.chain.Chain`'s FIR filters, one per driver and per
path (left, right, centre, :data:`design.chain.PATHS`), at the chain's sampling rate, with
everything needed to use them: driver and path names, the latency, the upmix and its settings, and
the virtual loudspeaker pair the left and right paths simulate (:class:`~design.chain.VirtualPair`).
:func:`load_filters` reads any of the three formats back into a chain that renders the same and
is evaluated the same (the evaluation divides the virtual pair's crosstalk out to judge the
cancellation, :mod:`design.evaluation`). The design report (``Chain.targets``) is not stored.

Formats (by the file's suffix)
    ``.sofa``
        The AES69 ``GeneralFIR`` convention through sofar: ``Data_IR`` of shape
        ``(M, R, N)`` = (paths, drivers, taps), measurement *m* being path *m* and receiver *r*
        driver *r*; ``Data_SamplingRate``; ``Data_Delay`` zero (the delays are in the taps).
        ``ReceiverPosition`` holds the driver positions in the device frame (metres). The
        names, latency and upmix are a JSON object in ``GLOBAL_Comment``.
    ``.wav``
        One multichannel 32-bit float WAV per path, ``STEM_left.wav``, ``STEM_right.wav``,
        ``STEM_centre.wav`` (channel *d* = driver *d*), and a JSON side-car ``STEM.json``. The
        taps are filter coefficients, not audio: float WAV keeps values beyond 1 exactly.
    ``.npz``
        ``filters (n_drivers, 3, n_taps)``, ``fs``, and the JSON object as ``info``; readable
        with ``numpy.load(path)`` (no pickle).

The JSON object: ``{"format": "soundstage-filters", "version": 2, "fs", "drivers", "paths",
"latency_samples", "upmix", "upmix_options", "name", "virtual"}``; ``"virtual"`` is null or the
virtual pair: the virtualizer's sections, delay, rate, azimuth, fit grid, target (real and
imaginary parts), parameters and fit error, and the weight over frequency. Version 1 files (no
``"virtual"``) still load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from design.chain import PATHS, Chain, VirtualPair

__all__ = ["FILTER_FORMATS", "save_filters", "load_filters", "wav_paths"]

#: File suffixes :func:`save_filters` writes.
FILTER_FORMATS: tuple[str, ...] = (".sofa", ".wav", ".npz")
_FORMAT = "soundstage-filters"
_VERSION = 2


def _virtual_to_json(pair: VirtualPair | None) -> dict[str, Any] | None:
    """Return the virtual pair as plain JSON values (arrays as lists, complex as two lists)."""
    if pair is None:
        return None
    v = pair.virtualizer
    return {
        "sos_ipsi": v.sos_ipsi.tolist(),
        "sos_contra": v.sos_contra.tolist(),
        "delay_s": v.delay_s,
        "fs": v.fs,
        "azimuth_deg": v.azimuth_deg,
        "fit_freqs": v.freqs.tolist(),
        "h_rel_real": v.h_rel.real.tolist(),
        "h_rel_imag": v.h_rel.imag.tolist(),
        "params": json.loads(json.dumps(v.params, default=dict)),  # read-only views as dicts
        "fit_error": dict(v.fit_error),
        "freqs": pair.freqs.tolist(),
        "weight": pair.weight.tolist(),
    }


def _virtual_from_json(data: dict[str, Any] | None) -> VirtualPair | None:
    if data is None:
        return None
    from design.filters.virtualization import Virtualizer

    virtualizer = Virtualizer(
        np.asarray(data["sos_ipsi"], dtype=float),
        np.asarray(data["sos_contra"], dtype=float),
        data["delay_s"],
        data["fs"],
        data["azimuth_deg"],
        np.asarray(data["fit_freqs"], dtype=float),
        np.asarray(data["h_rel_real"]) + 1j * np.asarray(data["h_rel_imag"]),
        data["params"],
        data["fit_error"],
        meta={"loaded": True},
    )
    return VirtualPair(virtualizer, data["freqs"], data["weight"])


def _info(chain: Chain) -> dict[str, Any]:
    return {
        "format": _FORMAT,
        "version": _VERSION,
        "name": chain.name,
        "fs": chain.fs,
        "drivers": list(chain.drivers),
        "paths": list(PATHS),
        "latency_samples": chain.latency_samples,
        "upmix": chain.upmix,
        "upmix_options": {k: v for k, v in chain.upmix_options.items()},
        "virtual": _virtual_to_json(chain.virtual),
    }


def _suffix(path: str | Path, name: str) -> tuple[Path, str]:
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in FILTER_FORMATS:
        raise ValueError(
            f"{name}: {str(p)!r} has suffix {p.suffix or '(none)'!r}; expected one of "
            f"{', '.join(FILTER_FORMATS)}"
        )
    return p, suffix


def wav_paths(path: str | Path) -> dict[str, Path]:
    """Return the files a ``.wav`` export writes: one per path and the JSON side-car."""
    p = Path(path)
    out = {name: p.with_name(f"{p.stem}_{name}.wav") for name in PATHS}
    out["info"] = p.with_suffix(".json")
    return out


def save_filters(chain: Chain, path: str | Path, *, positions=None) -> list[Path]:
    """Write a chain's FIR filters to ``path`` (``.sofa``, ``.wav`` or ``.npz``).

    Parameters
    ----------
    chain : Chain
        The design (:func:`design.chain.design_chain`).
    path : str or Path
        Output file; its suffix picks the format (module notes). For ``.wav`` it names the
        side-car's stem.
    positions : (n_drivers, 3) array_like, optional
        Driver positions in the device frame for the SOFA file's ``ReceiverPosition`` (zeros
        without them).

    Returns
    -------
    list of Path
        The files written.
    """
    if not isinstance(chain, Chain):
        raise TypeError(f"chain must be a Chain, got {type(chain).__name__}")
    p, suffix = _suffix(path, "path")
    info = _info(chain)
    h = np.asarray(chain.filters, dtype=float)  # (drivers, paths, taps)
    if suffix == ".npz":
        np.savez(p, filters=h, fs=np.float64(chain.fs), info=np.array(json.dumps(info)))
        return [p]
    if suffix == ".wav":
        import soundfile

        files = wav_paths(p)
        written = []
        for k, name in enumerate(PATHS):
            soundfile.write(files[name], h[:, k, :].T, int(round(chain.fs)), subtype="FLOAT")
            written.append(files[name])
        files["info"].write_text(
            json.dumps(info | {"files": {n: files[n].name for n in PATHS}}, indent=2) + "\n"
        )
        return [*written, files["info"]]
    import sofar

    sofa = sofar.Sofa("GeneralFIR")
    sofa.Data_IR = np.moveaxis(h, 1, 0)  # (M paths, R drivers, N taps)
    sofa.Data_SamplingRate = float(chain.fs)
    sofa.Data_Delay = np.zeros((1, h.shape[0]))
    pos = np.zeros((h.shape[0], 3)) if positions is None else np.asarray(positions, float)
    if pos.shape != (h.shape[0], 3):
        raise ValueError(f"positions must have shape ({h.shape[0]}, 3), got {pos.shape}")
    sofa.ReceiverPosition = pos
    sofa.SourcePosition = np.zeros((len(PATHS), 3))
    sofa.GLOBAL_Title = f"soundstage {chain.name} filters"
    sofa.GLOBAL_Comment = json.dumps(info)
    sofar.write_sofa(str(p), sofa)
    return [p]


def load_filters(path: str | Path) -> Chain:
    """Read filters written by :func:`save_filters` back into a :class:`~design.chain.Chain`."""
    p, suffix = _suffix(path, "path")
    if suffix == ".npz":
        with np.load(p, allow_pickle=False) as data:
            h, info = data["filters"], json.loads(str(data["info"]))
    elif suffix == ".wav":
        import soundfile

        files = wav_paths(p)
        info = json.loads(files["info"].read_text())
        h = np.stack(
            [soundfile.read(files[n], dtype="float64", always_2d=True)[0].T for n in PATHS], axis=1
        )
    else:
        import sofar

        sofa = sofar.read_sofa(str(p), verify=False)
        info = json.loads(sofa.GLOBAL_Comment)
        h = np.moveaxis(np.asarray(sofa.Data_IR, dtype=float), 0, 1)
    if info.get("format") != _FORMAT:
        raise ValueError(f"path: {str(p)!r} holds no soundstage filters")
    if info.get("version") not in (1, _VERSION):
        raise ValueError(
            f"path: {str(p)!r} holds soundstage filters of version {info.get('version')!r}; "
            f"this version reads 1 to {_VERSION}"
        )
    return Chain(
        info["name"],
        info["fs"],
        tuple(info["drivers"]),
        h,
        upmix=info["upmix"],
        upmix_options=dict(info["upmix_options"]),
        latency_samples=float(info["latency_samples"]),
        virtual=_virtual_from_json(info.get("virtual")),
        meta={"loaded_from": str(p)},
    )
