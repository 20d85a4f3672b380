"""Images from outside (photos, evidence): checked by bytes *and pixels* before anything
decodes them, and thumbnailed without decoding more than the thumbnail needs.

A PNG or WebP file states its size in its header, and Pillow reads only the header on
`Image.open`: a 352 kB PNG can announce 121 megapixels (half a gigabyte decoded), a
100 kB one 900 megapixels. So the pixel count is checked right after opening, before
`verify()` or any decoding, on every path that opens an image: the upload check and the
thumbnail task alike (a file stored before the cap was lowered must not hang the worker).
"""

import warnings
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from core.errors import ImageTooLarge, UnreadableImage

# What Pillow raises on an unreadable or truncated file.
_UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError)


def identify(raw: bytes, *, max_pixels: int, label: str = "the image") -> str:
    """The image's format (Pillow's name: "JPEG", "PNG", ...) after checking that it is
    readable and at most `max_pixels`; else ImageTooLarge or UnreadableImage (422)."""
    with _opened(BytesIO(raw), max_pixels=max_pixels, label=label) as image:
        found = image.format
        try:
            image.verify()  # structure and checksums, without decoding the pixels
        except _UNREADABLE:
            raise UnreadableImage(f"{label} is not a readable image") from None
    return found


def write_thumbnail(source: Path, target: Path, *, size: tuple[int, int], max_pixels: int,
                    quality: int = 80) -> None:
    """A JPEG of at most `size` from `source`, written to `target` whole or not at all;
    ImageTooLarge for an image over `max_pixels` (nothing is decoded then)."""
    with _opened(source, max_pixels=max_pixels, label=source.name) as image:
        image.draft("RGB", size)  # a JPEG decodes at 1/2, 1/4 or 1/8 scale: far cheaper
        image = ImageOps.exif_transpose(image)  # phones store the rotation in EXIF
        image.thumbnail(size)
        partial = target.with_name(target.name + ".part")
        image.convert("RGB").save(partial, "JPEG", quality=quality)
        partial.replace(target)


def _opened(source, *, max_pixels: int, label: str) -> Image.Image:
    """The image opened (its header read, nothing decoded) and its pixels counted."""
    try:
        with warnings.catch_warnings():
            # Our own cap is the rule; Pillow's bomb warning would only be noise in the logs.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
    except Image.DecompressionBombError:
        # Pillow's own limit (twice MAX_IMAGE_PIXELS) is higher than ours: too large anyway.
        raise ImageTooLarge(f"{label} has too many pixels; the limit is {max_pixels:,}",
                            max_pixels=max_pixels) from None
    except _UNREADABLE:
        raise UnreadableImage(f"{label} is not a readable image") from None
    width, height = image.size
    if width * height > max_pixels:
        image.close()
        raise ImageTooLarge(f"{label} is {width}×{height} pixels ({width * height:,}); the "
                            f"limit is {max_pixels:,}", width=width, height=height,
                            max_pixels=max_pixels)
    return image
