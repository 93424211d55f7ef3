"""Convert the MIT KEMAR head-related impulse responses (normal pinna) to a SOFA file.

Source
    The MIT Media Lab KEMAR measurements (Bill Gardner and Keith Martin, 1994; "free use with
    citation": Gardner & Martin, "HRTF measurements of a KEMAR", JASA 97(6), 1995, and MIT Media Lab
    Perceptual Computing technical report #280, 1994), as shipped in the PyPI wheel of ``slab``
    1.8.2, member ``slab/data/mit_kemar_normal_pinna.bz2``: a bz2-compressed pickle of a
    ``slab.hrtf.HRTF`` object holding 710 ``slab.filter.Filter`` objects, each a ``(512, 2)``
    float64 array with columns (left, right) at 44.1 kHz, and the source positions as
    ``(azimuth_deg, elevation_deg, distance_m)`` in slab's convention (azimuth 0..360
    counter-clockwise, 0 = front, 90 = left; elevation -90..90), which is already the SOFA one.

Safety
    The pickle is never loaded with :func:`pickle.load`. :class:`_RestrictedUnpickler` resolves
    only numpy's array reconstruction (``_reconstruct``, ``ndarray``, ``dtype``) and replaces
    slab's two classes with inert stand-ins that only receive their state dictionaries; every
    other global is refused with :class:`pickle.UnpicklingError`. The bz2 member's SHA-256 is
    checked against the value recorded below before it is unpickled.

Usage (from the repository root)::

    .venv/bin/python acoustics/heads/data/make_mit_kemar_sofa.py            # pip-downloads slab
    1.8.2 .venv/bin/python acoustics/heads/data/make_mit_kemar_sofa.py
    path/to/slab-1.8.2-py3-none-any.whl .venv/bin/python acoustics/heads/data/make_mit_kemar_sofa.py
    path/to/mit_kemar_normal_pinna.bz2

It writes ``acoustics/heads/data/mit_kemar_normal_pinna.sofa`` (or ``--out``) and prints its SHA-256
for ``PROVENANCE.md``. The output is byte-for-byte reproducible for a given sofar / netCDF version:
every date and application field of the file is fixed by this script.
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import io
import pathlib
import pickle
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import sofar

SLAB_VERSION = "1.8.2"
WHEEL_MEMBER = "slab/data/mit_kemar_normal_pinna.bz2"
#: SHA-256 of the bz2 member of the slab 1.8.2 wheel (the data this script was written for).
BZ2_SHA256 = "61f562a68284ba40899fd66b9d9e976351a41def04e3e826ae4cb3d5c3a7d975"
DEFAULT_OUT = pathlib.Path(__file__).resolve().parent / "mit_kemar_normal_pinna.sofa"

N_DIRECTIONS = 710
N_TAPS = 512
FS = 44100.0
DISTANCE_M = 1.4
EAR_Y_M = 0.0875
#: Fixed dates keep the output reproducible (conversion date; the measurements are from 1994).
CONVERSION_DATE = "2025-11-26 00:00:00"


class _InertHRTF:
    """Stand-in for ``slab.hrtf.HRTF``: receives the pickled state dict, does nothing else."""


class _InertFilter:
    """Stand-in for ``slab.filter.Filter``: receives the pickled state dict, does nothing else."""


_NUMPY_RECONSTRUCT = np.ndarray(0).__reduce__()[0]  # numpy's _reconstruct, whatever its module
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _NUMPY_RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _NUMPY_RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("slab.hrtf", "HRTF"): _InertHRTF,
    ("slab.filter", "Filter"): _InertFilter,
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that resolves only numpy arrays and inert stand-ins for slab's classes."""

    def find_class(self, module: str, name: str):  # noqa: D102
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to load global {module}.{name} from the KEMAR pickle"
            ) from None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _download_wheel(directory: pathlib.Path) -> pathlib.Path:
    """Fetch the slab wheel with pip (no dependencies) into ``directory``."""
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        f"slab=={SLAB_VERSION}",
        "--dest",
        str(directory),
    ]
    subprocess.run(cmd, check=True)
    wheels = sorted(directory.glob(f"slab-{SLAB_VERSION}-*.whl"))
    if not wheels:
        raise FileNotFoundError(f"pip did not produce a slab {SLAB_VERSION} wheel in {directory}")
    return wheels[0]


def _read_bz2(source: pathlib.Path) -> bytes:
    """Return the compressed KEMAR member, from a wheel or a bare ``.bz2`` file."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            return wheel.read(WHEEL_MEMBER)
    return source.read_bytes()


def load_kemar(compressed: bytes) -> tuple[np.ndarray, np.ndarray, float]:
    """Unpickle the slab KEMAR object safely.

    Parameters
    ----------
    compressed : bytes
        The bz2-compressed pickle.

    Returns
    -------
    hrirs : (710, 2, 512) ndarray
        Impulse responses, ears in (left, right) order.
    sources : (710, 3) ndarray
        (azimuth_deg, elevation_deg, distance_m) of each measurement.
    fs : float
        Sampling rate in Hz.
    """
    digest = _sha256(compressed)
    if digest != BZ2_SHA256:
        raise ValueError(f"unexpected SHA-256 {digest} of {WHEEL_MEMBER}; expected {BZ2_SHA256}")
    obj = _RestrictedUnpickler(io.BytesIO(bz2.decompress(compressed))).load()
    if not isinstance(obj, _InertHRTF):
        raise ValueError(f"expected a slab.hrtf.HRTF object, got {type(obj).__name__}")
    state = vars(obj)
    fs = float(state["samplerate"])
    filters = state["data"]
    sources = np.asarray(state["sources"], dtype=np.float64)
    if len(filters) != N_DIRECTIONS or sources.shape != (N_DIRECTIONS, 3):
        raise ValueError(f"expected {N_DIRECTIONS} filters and sources, got {len(filters)}")
    for i, filt in enumerate(filters):
        fstate = vars(filt)
        if not (isinstance(filt, _InertFilter) and fstate["fir"] and fstate["samplerate"] == fs):
            raise ValueError(f"filter {i} is not an FIR filter at {fs} Hz")
        if np.shape(fstate["data"]) != (N_TAPS, 2):
            raise ValueError(f"filter {i} has shape {np.shape(fstate['data'])}")
    hrirs = np.stack([np.asarray(vars(f)["data"], dtype=np.float64).T for f in filters])
    return hrirs, sources, fs


def check_kemar(hrirs: np.ndarray, sources: np.ndarray, fs: float) -> None:
    """Check the data's conventions before writing it; raise ``ValueError`` if one fails.

    At azimuth +90 deg (the listener's left in slab's and SOFA's convention) the left ear must be
    louder (by more than 6 dB in energy) and reached earlier (peak at least 20 samples, about
    450 us, earlier) than the right ear; at -90 deg (270) the reverse.
    """
    if fs != FS or not np.all(np.isfinite(hrirs)) or not np.allclose(sources[:, 2], DISTANCE_M):
        raise ValueError("unexpected sampling rate, distance or non-finite data")
    for az, near, far in ((90.0, 0, 1), (270.0, 1, 0)):
        i = int(np.flatnonzero((sources[:, 0] == az) & (sources[:, 1] == 0.0))[0])
        energy_db = 10 * np.log10(np.sum(hrirs[i] ** 2, axis=-1))
        peak = np.argmax(np.abs(hrirs[i]), axis=-1)
        print(f"az {az:5.1f}: energy (L, R) = {energy_db.round(2)} dB, peak sample (L, R) = {peak}")
        if energy_db[near] - energy_db[far] < 6.0 or peak[far] - peak[near] < 20:
            raise ValueError(f"ear order or azimuth convention check failed at azimuth {az}")


def build_sofa(hrirs: np.ndarray, sources: np.ndarray, fs: float) -> sofar.Sofa:
    """Fill a SimpleFreeFieldHRIR object with the data and its metadata."""
    sofa = sofar.Sofa("SimpleFreeFieldHRIR")
    sofa.Data_IR = hrirs
    sofa.Data_SamplingRate = fs
    sofa.SourcePosition = sources
    sofa.SourcePosition_Type = "spherical"
    sofa.SourcePosition_Units = "degree, degree, metre"
    sofa.ListenerPosition = np.zeros((1, 3))
    sofa.ListenerView = np.array([[1.0, 0.0, 0.0]])
    sofa.ListenerUp = np.array([[0.0, 0.0, 1.0]])
    sofa.ReceiverPosition = np.array([[0.0, EAR_Y_M, 0.0], [0.0, -EAR_Y_M, 0.0]])
    sofa.GLOBAL_Title = "MIT KEMAR head-related impulse responses, normal pinna"
    sofa.GLOBAL_DatabaseName = "MIT KEMAR"
    sofa.GLOBAL_ListenerShortName = "KEMAR"
    sofa.GLOBAL_AuthorContact = (
        "Bill Gardner and Keith Martin, MIT Media Lab (measurements); "
        "converted to SOFA by the soundstage developers"
    )
    sofa.GLOBAL_Organization = "MIT Media Lab"
    sofa.GLOBAL_License = "free use with citation: Gardner and Martin 1994"
    sofa.GLOBAL_References = (
        "W. G. Gardner and K. D. Martin, 'HRTF measurements of a KEMAR', J. Acoust. Soc. Am. "
        "97(6), 3907-3908, 1995; W. G. Gardner and K. D. Martin, 'HRTF measurements of a KEMAR "
        "dummy-head microphone', MIT Media Lab Perceptual Computing Technical Report #280, 1994"
    )
    sofa.GLOBAL_Origin = (
        "MIT Media Lab, 1994 (http://sound.media.mit.edu/resources/KEMAR.html); "
        f"here from the slab {SLAB_VERSION} wheel on PyPI, {WHEEL_MEMBER}"
    )
    # The script's path when the shipped file was made, kept so that the output stays
    # byte-identical to it (PROVENANCE.md).
    sofa.GLOBAL_Comment = (
        f"Converted from slab {SLAB_VERSION} ({WHEEL_MEMBER}, sha256 {BZ2_SHA256}) by "
        "acoustics/data/make_mit_kemar_sofa.py: 710 directions at 1.4 m, 512 taps at 44.1 kHz, "
        "values unchanged (16-bit samples / 32768). Not equalised: the responses include the "
        "measurement loudspeaker and an arbitrary gain. The left and right ears are exact "
        "mirror images (left at (az, el) equals right at (-az, el))."
    )
    sofa.GLOBAL_History = "converted from a slab pickle to SOFA with sofar"
    sofa.GLOBAL_DateCreated = CONVERSION_DATE
    sofa.GLOBAL_DateModified = CONVERSION_DATE
    sofa.GLOBAL_ApplicationName = "soundstage acoustics/heads/data/make_mit_kemar_sofa.py"
    sofa.GLOBAL_ApplicationVersion = f"sofar {sofar.__version__}"
    return sofa


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        type=pathlib.Path,
        help=f"slab {SLAB_VERSION} wheel or its {WHEEL_MEMBER}; pip-downloaded when omitted",
    )
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output .sofa path")
    args = parser.parse_args(argv)
    if args.out.suffix != ".sofa":
        parser.error("--out must end in .sofa")

    if args.source is None:
        with tempfile.TemporaryDirectory() as tmp:
            compressed = _read_bz2(_download_wheel(pathlib.Path(tmp)))
    else:
        compressed = _read_bz2(args.source)

    hrirs, sources, fs = load_kemar(compressed)
    check_kemar(hrirs, sources, fs)
    sofar.write_sofa(str(args.out), build_sofa(hrirs, sources, fs), compression=9)
    size_mb = args.out.stat().st_size / 1e6
    print(
        f"wrote {args.out} ({size_mb:.2f} MB): {hrirs.shape[0]} directions, "
        f"{hrirs.shape[2]} taps, {fs:g} Hz"
    )
    print(f"sha256 {_sha256(args.out.read_bytes())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
