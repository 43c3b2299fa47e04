"""PNG figures: the size from the header before anything is decoded, then a full decode.

A PNG of a few kilobytes can declare 30,000 × 30,000 pixels (a decompression bomb that takes
gigabytes to draw), and a file can start with PNG's signature and go on as anything else.
So the pixel count is read from the IHDR chunk first and bounded, and only then is the image
verified (chunk checksums) and decoded whole by Pillow, whose reason for refusing it is the
diagnostic's. Readers' applications then get only images that decode.
"""

from __future__ import annotations

import io
import struct
import threading

SIGNATURE = b"\x89PNG\r\n\x1a\n"
IHDR = struct.Struct(">I4sII")  # the first chunk: its length, its type, width, height
#: a full A4 page at 300 dpi is 2480 × 3508 pixels (8.7 million): twice that is plenty
MAX_PIXELS = 4096 * 4096
_LOCK = threading.Lock()  # Pillow's truncation setting is process-wide


def check_png(data: bytes) -> tuple[str, str] | None:
    """Why a PNG is not accepted, as (code, reason), or None."""
    if not data.startswith(SIGNATURE):
        return "image.invalid", "is not a PNG file (it does not start with PNG's signature)"
    if len(data) < len(SIGNATURE) + IHDR.size:
        return "image.invalid", "is not a valid PNG file (it ends before its header)"
    length, kind, width, height = IHDR.unpack_from(data, len(SIGNATURE))
    if (length, kind) != (13, b"IHDR"):
        return "image.invalid", "is not a valid PNG file (its first chunk is not a header)"
    if width * height > MAX_PIXELS:
        return "image.too-large", (f"is {width:,} × {height:,} pixels; the limit is "
                                   f"{MAX_PIXELS / 1e6:.1f} million pixels")
    return _decode(data)


def _decode(data: bytes) -> tuple[str, str] | None:
    """Pillow's verdict on the whole file: checksums, then every pixel.

    Truncated pixel data is refused whatever Pillow's process-wide setting says: WeasyPrint
    turns `ImageFile.LOAD_TRUNCATED_IMAGES` on when it is imported, and a check must not
    depend on which module happened to load first."""
    from PIL import Image, ImageFile  # only books with PNG figures pay for loading Pillow

    try:
        with _LOCK:
            lenient, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
            try:
                with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                    animated = getattr(image, "is_animated", False)
                    image.verify()
                with Image.open(io.BytesIO(data), formats=["PNG"]) as image:
                    image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = lenient
    except Image.UnidentifiedImageError:
        return "image.invalid", "is not a valid PNG file (Pillow cannot identify it)"
    except Exception as exc:  # noqa: BLE001 - the decoder's reason is the diagnostic
        return "image.invalid", f"is not a valid PNG file ({exc or type(exc).__name__})"
    if animated:
        return "image.unsupported", "is an animated PNG; figures must be still images"
    return None
