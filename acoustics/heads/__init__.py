"""Head models: point ears, the rigid sphere, Brown-Duda, and measured HRTFs (SOFA)."""

from acoustics.heads.hrtf import (
    MeasuredHRTF,
)
from acoustics.heads.interpolation import (
    HORIZONTAL_PLANE_TOL_DEG,
    SphericalTriangulation,
    check_spans_horizontal_plane,
)
from acoustics.heads.models import (
    HEAD_RADIUS,
    BrownDuda,
    HeadModel,
    KeyedHead,
    PointEars,
    RigidSphere,
)
from acoustics.heads.nearest_direction import (
    NearestDirections,
)
from acoustics.heads.rigid_sphere import (
    inverse_hankel_derivatives,
    rigid_sphere_transfer,
)
from acoustics.heads.sofa import (
    DirectivityTable,
    HRIRSet,
    kemar_path,
    read_directivity,
    read_hrir,
    write_directivity,
    write_hrir,
)

__all__ = [
    "HeadModel",
    "KeyedHead",
    "PointEars",
    "RigidSphere",
    "BrownDuda",
    "HEAD_RADIUS",
    "rigid_sphere_transfer",
    "inverse_hankel_derivatives",
    "MeasuredHRTF",
    "HRIRSet",
    "DirectivityTable",
    "kemar_path",
    "read_hrir",
    "write_hrir",
    "read_directivity",
    "write_directivity",
    "SphericalTriangulation",
    "check_spans_horizontal_plane",
    "HORIZONTAL_PLANE_TOL_DEG",
    "NearestDirections",
]
