"""The microphone as an :class:`~nurse_app.voice.audio.AudioSource`, through ``sounddevice`` (PortAudio).

The device is opened at its *native* rate (``default_samplerate``): asking a
Windows WDM/MME device for 16 kHz either fails or resamples badly, while Vosk
downsamples cleanly by itself. ``sounddevice`` is imported lazily because its
import fails without the PortAudio library, and a PC without a microphone
must still run the rest of the application.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Any

from nurse_app.voice.audio import downmix_to_mono
from nurse_app.voice.errors import AudioError


@dataclass(frozen=True, slots=True)
class InputDevice:
    """One capture device for the chooser: ``index`` is what :class:`MicrophoneSource` takes."""

    index: int
    name: str
    host_api: str
    sample_rate: int
    channels: int
    is_default: bool

    @property
    def label(self) -> str:
        return f"{self.name} ({self.host_api}, {self.sample_rate // 1000} kHz)"


def _sounddevice() -> Any:
    try:
        import sounddevice
    except (ImportError, OSError) as exc:  # OSError: "PortAudio library not found"
        raise AudioError(f"audio capture is not available (PortAudio): {exc}") from exc
    return sounddevice


def list_input_devices() -> tuple[list[InputDevice], str]:
    """Capture devices and ``""``, or ``[]`` and the reason (no PortAudio, no device). Never raises."""
    try:
        sd = _sounddevice()
        devices = sd.query_devices()
        apis = sd.query_hostapis()
        try:
            default_in = sd.default.device[0]
        except Exception:  # no default device configured
            default_in = -1
    except AudioError as exc:
        return [], str(exc)
    except Exception as exc:  # PortAudioError and friends when the audio system is absent
        return [], f"audio devices cannot be listed: {exc}"
    found = [
        InputDevice(
            index=int(dev["index"]),
            name=str(dev["name"]),
            host_api=str(apis[dev["hostapi"]]["name"]) if dev["hostapi"] < len(apis) else "",
            sample_rate=int(dev["default_samplerate"]),
            channels=int(dev["max_input_channels"]),
            is_default=int(dev["index"]) == default_in,
        )
        for dev in devices
        if dev["max_input_channels"] > 0
    ]
    return found, "" if found else "no microphone found"


class MicrophoneSource:
    """Push-to-talk capture: ``start`` opens the stream, blocks queue up, ``stop`` closes it.

    PortAudio calls back on its own thread; the callback only copies bytes into
    a queue, so a slow recognizer can never make the driver drop audio.
    """

    def __init__(self, device: int | None = None, *, block_ms: int = 100) -> None:
        self._sd = _sounddevice()
        try:
            info = self._sd.query_devices(device, "input")
        except Exception as exc:
            raise AudioError(f"no usable microphone: {exc}") from exc
        self._device = device
        self._rate = int(info["default_samplerate"])
        self._max_channels = int(info["max_input_channels"])
        self._block = max(1, self._rate * block_ms // 1000)
        self._queue: queue.Queue[bytes | None] = queue.Queue()  # None marks the end
        self._stream: Any = None
        self._channels = 1

    @property
    def sample_rate(self) -> int:
        return self._rate

    def _open(self, channels: int) -> Any:
        def callback(data: Any, _frames: int, _time: Any, _status: Any) -> None:
            self._queue.put(downmix_to_mono(bytes(data), channels))

        return self._sd.RawInputStream(
            samplerate=self._rate,
            blocksize=self._block,
            device=self._device,
            channels=channels,
            dtype="int16",
            callback=callback,
        )

    def start(self) -> None:
        try:
            self._stream = self._open(1)
        except Exception:
            # Some drivers only open in stereo; mix down rather than refuse the headset.
            if self._max_channels < 2:
                raise
            try:
                self._stream = self._open(2)
            except Exception as exc:
                raise AudioError(f"the microphone cannot be opened: {exc}") from exc
        self._stream.start()

    def read(self, timeout: float = 0.5) -> bytes | None:
        try:
            block = self._queue.get(timeout=timeout)
        except queue.Empty:
            return b"" if self._stream is not None else None
        return block

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.stop()
            stream.close()
        self._queue.put(None)
