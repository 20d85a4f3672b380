"""The demo history's photos: a report made on the spot carries a photo (上报照片), and
每个处理反馈 its after photo (处理后), as the live app sends them.

Cheap enough for `make demo` (30,000 incidents): a handful of small generated JPEGs per
kind (a street scene of blocks and noise, litter-brown before, swept-grey after), each
written once to the media folder through core/attachments (content-addressed), and the
rows COPYed like the rest of the history. They are no larger than a thumbnail, so each
is its own thumbnail and no thumbnail task is queued.
"""

import hashlib
import io
import zlib

import numpy as np
from PIL import Image
from sqlalchemy.orm import Session

from core.attachments.service import save_file
from core.db import copy_rows
from grid.incidents.case_type import SUBJECT

VARIANTS = 6  # images per kind
SIZE = (192, 144)  # under THUMBNAIL_SIZE: the image is its own thumbnail
QUALITY = 70
# The scene's colours (RGB): ground, wall, and what lies about.
PALETTES = {
    "report": ((118, 112, 104), (170, 160, 140), (96, 70, 40)),  # rubbish on the pavement
    "after": ((128, 132, 136), (176, 180, 184), (70, 130, 80)),  # swept, a green bin
}
COLUMNS = ("subject_type", "subject_id", "kind", "file_name", "content_type", "bytes",
           "sha256", "path", "thumbnail_path", "uploaded_by", "created_at", "taken_at")


def scene(kind: str, variant: int, seed: int) -> bytes:
    """One small JPEG: a wall over the ground, a few blobs on it, some grain."""
    rng = np.random.default_rng([seed, variant, zlib.crc32(kind.encode())])
    ground, wall, thing = (np.array(c, dtype=float) for c in PALETTES[kind])
    width, height = SIZE
    pixels = np.empty((height, width, 3))
    horizon = int(height * rng.uniform(0.35, 0.55))
    pixels[:horizon] = wall
    pixels[horizon:] = ground
    ys, xs = np.mgrid[0:height, 0:width]
    for _ in range(int(rng.integers(3, 7))):
        cx, cy = rng.uniform(0, width), rng.uniform(horizon, height)
        radius = rng.uniform(6, 22)
        inside = (xs - cx) ** 2 + ((ys - cy) * 1.6) ** 2 < radius ** 2
        pixels[inside] = thing * rng.uniform(0.7, 1.2)
    pixels += rng.normal(0, 9, pixels.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(
        buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()


def write_photos(session: Session, photos: list[tuple], *, media_dir: str, seed: int) -> int:
    """The photos the story took, (at, incident, kind, user id) each, as attachment rows of
    their incidents; the files written first (once each)."""
    if not photos:
        return 0
    files = {kind: [_saved(scene(kind, n, seed), media_dir) for n in range(VARIANTS)]
             for kind in PALETTES}
    rows, taken = [], set()
    for at, incident, kind, user_id in photos:
        # Handled again after a rework: the next picture (a subject has each file once).
        variant = next((n for n in range(VARIANTS)
                        if (incident.id, kind, (incident.id + n) % VARIANTS) not in taken), None)
        if variant is None:
            continue
        variant = (incident.id + variant) % VARIANTS
        taken.add((incident.id, kind, variant))
        path, size, digest = files[kind][variant]
        rows.append((SUBJECT, incident.id, kind, f"{kind}-{incident.id}.jpg", "image/jpeg",
                     size, digest, path, path, user_id, at, at))
    copy_rows(session, "attachment", COLUMNS, rows)
    return len(rows)


def _saved(raw: bytes, media_dir: str) -> tuple[str, int, str]:
    path = save_file(raw, "image/jpeg", media_dir=media_dir)
    return path, len(raw), hashlib.sha256(raw).hexdigest()
