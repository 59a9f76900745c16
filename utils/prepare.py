"""Turn the raw datasets into train/validation arrays, the same way everywhere.

Every split has a fixed ``random_state``; arrays are float32 because that is
what Keras computes in.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.compose import make_column_transformer
from sklearn.model_selection import GroupShuffleSplit, train_test_split
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from utils.data import load_red_wine, load_spotify

SPLIT_SEED = 0

SPOTIFY_NUMERIC = [
    "danceability", "energy", "key", "loudness", "mode", "speechiness",
    "acousticness", "instrumentalness", "liveness", "valence", "tempo", "duration_ms",
]
SPOTIFY_CATEGORICAL = ["playlist_genre"]


@dataclass(frozen=True)
class Split:
    """Train and validation arrays plus the feature names, in column order."""
    X_train: np.ndarray
    X_valid: np.ndarray
    y_train: np.ndarray
    y_valid: np.ndarray
    feature_names: tuple[str, ...]

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def _float32(a) -> np.ndarray:
    return np.asarray(a, dtype="float32")


def red_wine_split(*, standardize: bool = False, seed: int = SPLIT_SEED) -> Split:
    """Red Wine: 11 inputs, target ``quality``, 70/30 split.

    By default the inputs stay raw (unstandardized), as the lesson and the
    exercise want; ``standardize=True`` fits a StandardScaler on the training part.
    """
    wine = load_red_wine()
    X = wine.drop(columns="quality")
    y = wine["quality"]
    X_train, X_valid, y_train, y_valid = train_test_split(X, y, train_size=0.7, random_state=seed)
    if standardize:
        scaler = StandardScaler().fit(X_train)
        X_train, X_valid = scaler.transform(X_train), scaler.transform(X_valid)
    return Split(_float32(X_train), _float32(X_valid), _float32(y_train), _float32(y_valid),
                 tuple(X.columns))


def spotify_split(*, standardize: bool = True, seed: int = SPLIT_SEED) -> Split:
    """Spotify: numeric audio features plus one-hot genre; popularity scaled to 0..1.

    The split is grouped by artist, so no artist appears in both parts (otherwise
    the validation score would reward memorising artists). ``standardize=False``
    keeps the numeric features raw (``duration_ms`` is in the hundreds of
    thousands) for the hard-to-train set-up.
    """
    songs = load_spotify().dropna(subset=["track_artist", *SPOTIFY_NUMERIC, *SPOTIFY_CATEGORICAL])
    X = songs[SPOTIFY_NUMERIC + SPOTIFY_CATEGORICAL]
    y = songs["track_popularity"] / 100
    splitter = GroupShuffleSplit(n_splits=1, train_size=0.75, random_state=seed)
    train_idx, valid_idx = next(splitter.split(X, y, groups=songs["track_artist"]))
    numeric = StandardScaler() if standardize else "passthrough"
    encoder = make_column_transformer(
        (numeric, SPOTIFY_NUMERIC),
        (OneHotEncoder(sparse_output=False, handle_unknown="ignore"), SPOTIFY_CATEGORICAL),
        verbose_feature_names_out=False,
    )
    X_train = encoder.fit_transform(X.iloc[train_idx])
    X_valid = encoder.transform(X.iloc[valid_idx])
    return Split(_float32(X_train), _float32(X_valid),
                 _float32(y.iloc[train_idx]), _float32(y.iloc[valid_idx]),
                 tuple(encoder.get_feature_names_out()))
