"""Render the app icons from their SVGs into the PNG sizes, .ico and .icns that packaging needs.

Usage: python installer/icons.py        (rewrites resources/icons/<name>-<size>.png, .ico, .icns)

Qt renders the SVG; the .ico and .icns containers are written here (both accept embedded PNG),
so no image library beyond Qt is needed.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
ICON_NAMES = ("qdesk", "qdesk-bridge")
# Linux (briefcase's system packages) wants 16..512; macOS .icns goes up to 1024 (512@2x).
PNG_SIZES = (16, 32, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 32, 48, 64, 128, 256)
# .icns element types that hold PNG data, by pixel size.
ICNS_TYPES = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09", 1024: b"ic10"}


def render_png(svg: Path, size: int) -> bytes:
    """The SVG drawn on a transparent size×size canvas, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg}: not a valid SVG")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding each PNG (Vista and later read PNG entries at every size)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = b"", b""
    for size in sizes:
        data = pngs[size]
        dim = 0 if size >= 256 else size  # 0 means 256 in the directory entry
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns holding each PNG under its element type."""
    body = b"".join(ICNS_TYPES[s] + struct.pack(">I", 8 + len(pngs[s])) + pngs[s] for s in sorted(pngs))
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def build_icons(icons_dir: Path = ICONS, names: tuple[str, ...] = ICON_NAMES) -> list[Path]:
    """Write every PNG size, the .ico and the .icns of each icon; returns the files written."""
    written: list[Path] = []
    for name in names:
        svg = icons_dir / f"{name}.svg"
        pngs = {size: render_png(svg, size) for size in sorted(set(PNG_SIZES) | set(ICO_SIZES))}
        for size in PNG_SIZES:
            path = icons_dir / f"{name}-{size}.png"
            path.write_bytes(pngs[size])
            written.append(path)
        (icons_dir / f"{name}.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
        (icons_dir / f"{name}.icns").write_bytes(icns_bytes({s: pngs[s] for s in ICNS_TYPES}))
        written += [icons_dir / f"{name}.ico", icons_dir / f"{name}.icns"]
    return written


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (Qt needs one for painting)
    for path in build_icons():
        print(path.relative_to(ROOT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
