"""Clips as Ogg Opus: small (about 3 KB a second of speech), played by every browser.

Encoding and decoding go through PyAV, which bundles FFmpeg, so nothing is needed from the system.
Uploaded recordings are decoded in full before anything is kept: a file that does not decode, is
not sound, or is too long or too big is refused with a sentence for the administrator.
"""
from __future__ import annotations

import io
from dataclasses import dataclass

import av

from kiosk.audio.speech import Sound

RATE = 24000          # Opus's wideband rate: speech needs no more
BITRATE = 24000       # about 13 KB for a spoken sentence
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_RECORDING_SECONDS = 60.0


class AudioError(Exception):
    """Why an uploaded file is not a usable recording, in one sentence."""


@dataclass(frozen=True)
class Clip:
    data: bytes       # Ogg Opus
    seconds: float


def _encode(frames, seconds: float) -> Clip:
    out = io.BytesIO()
    with av.open(out, "w", format="ogg") as container:
        stream = container.add_stream("libopus", rate=RATE, layout="mono")
        stream.bit_rate = BITRATE
        for frame in frames:
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return Clip(out.getvalue(), seconds)


def encode(sound: Sound) -> Clip:
    """A synthetic voice's samples as an Opus clip."""
    count = len(sound.pcm) // 2
    frame = av.AudioFrame(format="s16", layout="mono", samples=count)
    frame.planes[0].update(sound.pcm[: count * 2])
    frame.sample_rate = sound.rate
    return _encode([frame], sound.seconds)


def _decoded_frames(data: bytes):
    """Every audio frame of an uploaded file, resampled to mono at RATE; AudioError if it is not sound."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if not container.streams.audio:
                raise AudioError("This file has no sound in it.")
            frames = []
            for frame in container.decode(container.streams.audio[0]):
                frames.extend(resampler.resample(frame))
            frames.extend(resampler.resample(None))
    except AudioError:
        raise
    except (av.FFmpegError, ValueError, OSError, EOFError):
        raise AudioError("This file is not a sound file we can read (use Opus, Ogg, MP3, WAV or WebM), "
                         "or it is cut short.") from None
    return frames


def _cut_short(data: bytes) -> bool:
    """A file whose own framing says more was coming. FFmpeg decodes a truncated Ogg or WAV
    without complaint, so the two formats that say how they end are checked here."""
    if data.startswith(b"OggS"):
        last = data.rfind(b"OggS")
        header = data[last:last + 27]
        if len(header) < 27:
            return True
        lacing = data[last + 27:last + 27 + header[26]]
        if len(lacing) < header[26] or last + 27 + len(lacing) + sum(lacing) > len(data):
            return True
        return not header[5] & 0x04        # the last page must say it is the end of the stream
    if data.startswith(b"RIFF") and data[8:12] == b"WAVE":
        offset = 12
        while offset + 8 <= len(data):
            size = int.from_bytes(data[offset + 4:offset + 8], "little")
            if data[offset:offset + 4] == b"data":
                return offset + 8 + size > len(data)
            offset += 8 + size + (size & 1)
        return True
    return False


def from_upload(data: bytes, max_seconds: float = MAX_RECORDING_SECONDS) -> Clip:
    """An uploaded recording, checked and re-encoded the way every clip is kept."""
    if not data:
        raise AudioError("The file is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise AudioError(f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    if _cut_short(data):
        raise AudioError("This file is cut short: upload it again, whole.")
    frames = _decoded_frames(data)
    seconds = sum(frame.samples for frame in frames) / RATE
    if seconds < 0.2:
        raise AudioError("The recording is silent or shorter than a fifth of a second.")
    if seconds > max_seconds:
        raise AudioError(f"The recording lasts {seconds:.0f} seconds; a message may last at most "
                         f"{max_seconds:.0f}.")
    return _encode(frames, seconds)


def duration(data: bytes) -> float:
    """How long an Opus clip lasts, by decoding it (tests and checks)."""
    return sum(frame.samples for frame in _decoded_frames(data)) / RATE
