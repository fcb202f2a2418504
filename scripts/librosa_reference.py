"""Writes src/dsp/mel.fixture.json: librosa's mel filterbanks, mel spectrogram in dB and MFCCs of a fixed signal,
the expected values of src/dsp/mel.test.ts.

    PYTHONPATH=path/to/librosa python3 scripts/librosa_reference.py

Needs librosa (python3-librosa, pip, or a source checkout) with numpy and scipy. The signal is made from a formula,
so the TypeScript test makes the same samples without a file.
"""
import json
import sys

import numpy as np
import librosa


def signal(sr, n):
    """Two tones and a chirp, float32: the same formula as signal() in mel.test.ts."""
    t = np.arange(n, dtype=np.float64) / sr
    y = 0.5 * np.sin(2 * np.pi * 440 * t) + 0.3 * np.sin(2 * np.pi * (200 + 700 * t) * t) + 0.05 * np.sin(2 * np.pi * 3100 * t)
    return y.astype(np.float32)


def rounded(a):
    return [float(f"{v:.9g}") for v in np.asarray(a, dtype=np.float64).ravel()]


filterbanks = []
for case in [
    dict(sr=8000, n_fft=256, n_mels=24, fmin=0.0, fmax=None, htk=False, norm="slaney"),
    dict(sr=22050, n_fft=256, n_mels=20, fmin=50.0, fmax=8000.0, htk=True, norm=None),
]:
    w = librosa.filters.mel(**case)
    filterbanks.append({**case, "weights": rounded(w)})

sr, n, n_fft, hop, n_mels, n_mfcc = 8000, 2048, 256, 64, 24, 13
y = signal(sr, n)
mel = librosa.feature.melspectrogram(y=y, sr=sr, n_fft=n_fft, hop_length=hop, n_mels=n_mels, pad_mode="reflect")
mel_db = librosa.power_to_db(mel)
mfcc = librosa.feature.mfcc(S=mel_db, n_mfcc=n_mfcc)

out = {
    "provenance": f"librosa {librosa.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}; scripts/librosa_reference.py",
    "hzToMel": {
        "hz": [0, 60, 440, 1000, 1500, 4000, 11025],
        "slaney": rounded(librosa.hz_to_mel([0, 60, 440, 1000, 1500, 4000, 11025])),
        "htk": rounded(librosa.hz_to_mel([0, 60, 440, 1000, 1500, 4000, 11025], htk=True)),
    },
    "filterbanks": filterbanks,
    "spectrogram": {
        "sr": sr, "n": n, "n_fft": n_fft, "hop": hop, "n_mels": n_mels, "n_mfcc": n_mfcc,
        "frames": int(mel.shape[1]),
        "mel_db": rounded(mel_db),
        "mfcc": rounded(mfcc),
    },
}
with open("src/dsp/mel.fixture.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
    f.write("\n")
print(f"wrote src/dsp/mel.fixture.json ({out['provenance']})")
