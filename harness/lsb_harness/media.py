"""Small, valid, deterministic media for the stand-in pipelines (PNG-able images, real MP4s)."""

from __future__ import annotations

import hashlib
import os
import tempfile

import numpy as np
from PIL import Image

MAX_SIDE = 64


def small_size(width: int, height: int, max_side: int = MAX_SIDE) -> tuple[int, int]:
    """Scale (width, height) down to max_side keeping the aspect; even numbers, at least 8."""
    width, height = max(int(width), 1), max(int(height), 1)
    s = min(1.0, max_side / max(width, height))
    w = max(8, int(round(width * s / 2)) * 2)
    h = max(8, int(round(height * s / 2)) * 2)
    return w, h


def _seed_bytes(*parts) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()


def make_array(seed, prompt, width, height, frame: int = 0) -> np.ndarray:
    """uint8 HxWx3 array: colour from (seed, prompt), gradient plus a moving bar for video frames."""
    b = _seed_bytes(seed, prompt)
    base = np.array([b[0], b[1], b[2]], dtype=np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    arr = np.empty((height, width, 3), np.float32)
    arr[..., 0] = base[0] * 0.6 + 100 * xx / max(width - 1, 1)
    arr[..., 1] = base[1] * 0.6 + 100 * yy / max(height - 1, 1)
    arr[..., 2] = base[2] * 0.6 + 50
    bar = (frame * 3 + b[3]) % width
    arr[:, bar : bar + 3, :] = 255
    return np.clip(arr, 0, 255).astype(np.uint8)


def make_image(seed, prompt, width, height, frame: int = 0) -> Image.Image:
    return Image.fromarray(make_array(seed, prompt, width, height, frame), "RGB")


def _to_uint8_frame(frame, index: int) -> np.ndarray:
    if isinstance(frame, Image.Image):
        return np.asarray(frame.convert("RGB"))
    if isinstance(frame, np.ndarray):
        if frame.ndim == 2:
            frame = np.stack([frame] * 3, -1)
        if frame.ndim != 3 or frame.shape[-1] not in (1, 3, 4):
            raise ValueError(
                f"export_to_video: frame {index} has shape {frame.shape}; expected HxWxC. "
                "(Did you pass output.frames instead of output.frames[0]?)"
            )
        if frame.dtype != np.uint8:
            frame = (np.clip(frame, 0, 1) * 255).astype(np.uint8)
        if frame.shape[-1] == 1:
            frame = np.repeat(frame, 3, -1)
        return np.ascontiguousarray(frame[..., :3])
    if isinstance(frame, list):
        raise ValueError(
            f"export_to_video: frame {index} is a list; expected a PIL image or HxWxC array. "
            "(Did you pass output.frames instead of output.frames[0]?)"
        )
    raise ValueError(f"export_to_video: frame {index} has unsupported type {type(frame).__name__}")


def write_mp4(frames, path: str | None = None, fps: float = 16) -> str:
    """Encode frames (PIL images or HxWxC arrays) to an H.264 MP4 with the ffmpeg from imageio-ffmpeg."""
    import imageio_ffmpeg

    if path is None:
        fd, path = tempfile.mkstemp(suffix=".mp4")
        os.close(fd)
    arrs = [_to_uint8_frame(f, i) for i, f in enumerate(frames)]
    if not arrs:
        raise ValueError("export_to_video: no frames to write")
    h, w = arrs[0].shape[:2]
    w2, h2 = w - w % 2, h - h % 2
    writer = imageio_ffmpeg.write_frames(
        path,
        (w2, h2),
        fps=float(fps),
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=1,
        output_params=["-movflags", "+faststart"],
        ffmpeg_log_level="error",
    )
    writer.send(None)
    for a in arrs:
        if a.shape[:2] != (h, w):
            a = np.asarray(Image.fromarray(a).resize((w, h)))
        writer.send(np.ascontiguousarray(a[:h2, :w2]))
    writer.close()
    return path


def read_mp4_frames(path: str, max_frames: int = 257) -> tuple[list[Image.Image], float]:
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(path)
    meta = next(gen)
    w, h = meta["size"]
    frames = []
    for i, raw in enumerate(gen):
        if i >= max_frames:
            break
        frames.append(Image.frombytes("RGB", (w, h), raw))
    gen.close()
    return frames, float(meta.get("fps") or 24)


def sniff(data: bytes) -> str | None:
    """'png' | 'jpeg' | 'webp' | 'mp4' | 'webm' | None, from magic bytes."""
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None
