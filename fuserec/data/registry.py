"""Known datasets by name: where their files live locally, and where to download them from."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fuserec.data import amazon, goodbooks, lastfm, mind, movielens, movietweetings, sequences
from fuserec.data.dataset import Dataset
from fuserec.data.download import Remote, cache_dir, install
from fuserec.errors import UnknownIdError

GROUPLENS = "https://files.grouplens.org/datasets"
MT_RAW = "https://raw.githubusercontent.com/sidooms/MovieTweetings/master/snapshots"
EMBEDDED = Path(__file__).parent / "sample"
ICLREC_RAW = "https://raw.githubusercontent.com/salesforce/ICLRec/master/data"


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    folder: str  # folder name under a data dir
    marker: str  # a file that must exist in the folder
    loader: Callable[..., Dataset]
    remotes: tuple[Remote, ...]
    description: str
    embedded: Path | None = None  # a copy shipped inside the package


def _mt(size: str, checksums: tuple[str, str]) -> tuple[Remote, ...]:
    return (
        Remote(f"{MT_RAW}/{size}/ratings.dat", f"sha256:{checksums[0]}"),
        Remote(f"{MT_RAW}/{size}/movies.dat", f"sha256:{checksums[1]}"),
    )


DATASETS: dict[str, DatasetInfo] = {
    info.name: info
    for info in [
        DatasetInfo(
            "ml-100k", "ml-100k", "u.data", movielens.load_ml100k,
            (Remote(f"{GROUPLENS}/movielens/ml-100k.zip",
                    "sha256:50d2a982c66986937beb9ffb3aa76efe955bf3d5c6b761f4e3a7cd717c6a3229",
                    unzip=True, strip="ml-100k/"),),
            "MovieLens 100K: 100,000 ratings 1-5, 943 users, 1,682 movies, genres, demographics",
        ),
        DatasetInfo(
            "ml-1m", "ml-1m", "ratings.dat", movielens.load_ml1m,
            (Remote(f"{GROUPLENS}/movielens/ml-1m.zip",
                    "sha256:a6898adb50b9ca05aa231689da44c217cb524e7ebd39d264c56e2832f2c54e20",
                    unzip=True, strip="ml-1m/"),),
            "MovieLens 1M: 1,000,209 ratings 1-5, 6,040 users, 3,706 movies",
        ),
        DatasetInfo(
            "ml-latest-small", "ml-latest-small", "ratings.csv", movielens.load_ml_latest_small,
            (Remote(f"{GROUPLENS}/movielens/ml-latest-small.zip",
                    "sha256:696d65a3dfceac7c45750ad32df2c259311949efec81f0f144fdfb91ebc9e436",
                    unzip=True, strip="ml-latest-small/"),),
            "MovieLens latest-small: 100,836 ratings 0.5-5, 610 users, 9,724 movies, user tags",
        ),
        DatasetInfo(
            "ml-25m", "ml-25m", "ratings.csv", movielens.load_ml25m,
            (Remote(f"{GROUPLENS}/movielens/ml-25m.zip",
                    "sha256:8b21cfb7eb1706b4ec0aac894368d90acf26ebdfb6aced3ebd4ad5bd1eb9c6aa",
                    unzip=True, strip="ml-25m/"),),
            "MovieLens 25M: 25,000,095 ratings 0.5-5, 162,541 users, 59,047 movies, tags",
        ),
        DatasetInfo(
            "movietweetings-100k", "movietweetings/snapshot-100K", "ratings.dat",
            lambda folder, **kw: movietweetings.load_movietweetings(folder, "movietweetings-100k", **kw),
            _mt("100K", ("c0dd868c2632d10002ebc928ddc5345f33adeaa59eca52c2941c26a2c5e36fd6",
                         "e63fb84bc734e3c574f135634a40d3cbafab22b8f94f5fc0b80f80d1d2076efc")),
            "MovieTweetings snapshot 100K: ratings 0-10 from tweets, 16,554 users, 10,506 movies (MIT)",
            embedded=EMBEDDED / "movietweetings-100k",
        ),
        DatasetInfo(
            "movietweetings-10k", "movietweetings/snapshot-10K", "ratings.dat",
            lambda folder, **kw: movietweetings.load_movietweetings(folder, "movietweetings-10k", **kw),
            _mt("10K", ("bf313a3b00f2d58ab6cbceb7f1a5f9b6fe46ae4453856773267b37a3701b105b",
                        "48769961349ec2aa6eaab8a7ade0e282a768475b2528cbe045266632cc05f981")),
            "MovieTweetings snapshot 10K (MIT)",
        ),
        DatasetInfo(
            "amazon-all-beauty", "amazon-2018-all-beauty-5core", "All_Beauty_5.json.gz", amazon.load_all_beauty,
            # No checksum is published for the 2018 files; this is the hash of the copy we test on.
            (Remote("https://mcauleylab.ucsd.edu/public_datasets/data/amazon_v2/categoryFilesSmall/All_Beauty_5.json.gz",
                    "sha256:8e49737fefaec9290187c69bf92889452df8be0ab5e36c9476520d6639683279"),),
            "Amazon Review Data 2018, All_Beauty 5-core: reviews with text, 991 users, 85 items",
        ),
        DatasetInfo(
            "goodbooks-10k", "goodbooks-10k", "ratings.csv", goodbooks.load_goodbooks,
            (Remote("https://github.com/zygmuntz/goodbooks-10k/releases/download/v1.0/goodbooks-10k.zip",
                    "sha256:261b97b56db61f3fb2ce5aadbb13704d30179fcc986c17ace665a0af9ed00731", unzip=True),),
            "goodbooks-10k: 5,976,479 ratings 1-5 of 10,000 books by 53,424 users, shelf tags",
        ),
        DatasetInfo(
            "lastfm", "lastfm-hetrec2011-2k", "user_artists.dat", lastfm.load_lastfm,
            (Remote(f"{GROUPLENS}/hetrec2011/hetrec2011-lastfm-2k.zip",
                    "sha256:6738f48195667ff03caaab4d32ca9a3133d8cc026b7c3cdaf6ce1010e913c59c", unzip=True),),
            "HetRec 2011 Last.fm: 92,834 user-artist play counts, 1,892 users, 17,632 artists, friendships",
        ),
        DatasetInfo(
            "beauty-s3rec", "amazon-2014-s3rec", "Beauty.txt",
            lambda folder, **kw: sequences.load_s3rec(folder, "Beauty.txt", "beauty-s3rec", **kw),
            (Remote(f"{ICLREC_RAW}/Beauty.txt", None),),
            "Amazon 2014 Beauty 5-core as item sequences (S3-Rec preprocessing): 22,363 users, 12,101 items",
        ),
        DatasetInfo(
            "sports-s3rec", "amazon-2014-s3rec", "Sports_and_Outdoors.txt",
            lambda folder, **kw: sequences.load_s3rec(folder, "Sports_and_Outdoors.txt", "sports-s3rec", **kw),
            (Remote(f"{ICLREC_RAW}/Sports_and_Outdoors.txt", None),),
            "Amazon 2014 Sports and Outdoors 5-core as item sequences (S3-Rec): 35,598 users, 18,357 items",
        ),
        DatasetInfo(
            "mind-small", "MINDsmall_train", "behaviors.tsv", mind.load_mind,
            (Remote("https://mind201910small.blob.core.windows.net/release/MINDsmall_train.zip",
                    "md5:8ab752c7d11564622d93132be05dcf6b", unzip=True),),
            "MIND small (train): news clicks with titles, abstracts and categories",
        ),
    ]
}


def data_dirs(data_dir: str | Path | None = None) -> list[Path]:
    """Where datasets are looked for, in order: the argument, ``$FUSEREC_DATA_DIR``, the cache."""
    dirs = [Path(d) for d in (data_dir, os.environ.get("FUSEREC_DATA_DIR")) if d]
    return dirs + [cache_dir() / "datasets"]


def locate(name: str, data_dir: str | Path | None = None, *, download: bool = True, progress: bool = True) -> Path:
    """The folder holding dataset ``name``: found locally, else the embedded copy, else downloaded."""
    info = get_info(name)
    for root in data_dirs(data_dir):
        folder = root / info.folder
        if (folder / info.marker).exists() or (folder / f"{info.marker}.gz").exists():
            return folder
    if info.embedded is not None and info.embedded.exists():
        return info.embedded
    if not download:
        raise FileNotFoundError(
            f"dataset {name!r} not found under {[str(d) for d in data_dirs(data_dir)]} and download=False"
        )
    return install(list(info.remotes), cache_dir() / "datasets" / info.folder, progress=progress)


def get_info(name: str) -> DatasetInfo:
    try:
        return DATASETS[name]
    except KeyError:
        raise UnknownIdError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}") from None


def load_dataset(name: str, data_dir: str | Path | None = None, *, download: bool = True, **options: Any) -> Dataset:
    """Load a known dataset by name (see ``DATASETS``); ``options`` go to its loader."""
    return get_info(name).loader(locate(name, data_dir, download=download), **options)
