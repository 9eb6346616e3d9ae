"""Loaders against the published counts of the real datasets, and on small fixtures written here."""

from __future__ import annotations

import gzip
import shutil

import numpy as np
import pandas as pd
import pytest

from fuserec.data import load_dataset, load_files
from fuserec.data.amazon import load_amazon_metadata
from fuserec.data.goodbooks import load_goodbooks
from fuserec.data.mind import load_mind
from fuserec.data.movielens import load_ml1m, load_ml25m
from fuserec.data.registry import DATASETS, locate


def counts(ds):
    return len(ds), ds.interactions["user"].nunique(), ds.interactions["item"].nunique()


def test_ml100k_counts_and_latin1_titles(ml100k):
    assert counts(ml100k) == (100_000, 943, 1_682)
    assert (ml100k.n_users, ml100k.n_items) == (943, 1_682)
    assert ml100k.rating_scale == (1.0, 5.0)
    titles = set(ml100k.item_table["title"])
    assert "Star Wars (1977)" in titles
    # u.item is Latin-1: decoded, not mangled
    assert any("é" in t for t in titles)
    star_wars = ml100k.item_table.loc[ml100k.item_table["title"] == "Star Wars (1977)"].iloc[0]
    assert star_wars["genres"].split("|") == ["Action", "Adventure", "Romance", "Sci-Fi", "War"]
    assert star_wars["year"] == 1977
    assert ml100k.user_table.shape[0] == 943 and "occupation" in ml100k.user_table


def test_ml100k_matrix(ml100k):
    m = ml100k.matrix()
    assert m.shape == (943, 1682) and m.nnz == 100_000
    u = ml100k.users.to_index(196)
    i = ml100k.items.to_index(242)
    assert m[u, i] == 3.0  # first line of u.data: 196 242 3


def test_ml_latest_small_counts_and_tags(ml_small):
    assert counts(ml_small) == (100_836, 610, 9_724)
    assert ml_small.rating_scale == (0.5, 5.0)
    toy = ml_small.item_table.set_index("id").loc[1]
    assert toy["title"] == "Toy Story (1995)" and "pixar" in toy["tags"].split("|")


def test_movietweetings_100k_counts(datasets_dir):
    ds = load_dataset("movietweetings-100k", datasets_dir, download=False)
    assert counts(ds) == (100_000, 16_554, 10_506)
    assert ds.rating_scale == (0.0, 10.0)
    assert ds.items.ids[0] == "0002844"  # IMDb ids keep their leading zeros


def test_embedded_sample_is_the_published_snapshot(datasets_dir, tmp_path, monkeypatch):
    monkeypatch.delenv("FUSEREC_DATA_DIR", raising=False)
    monkeypatch.setenv("FUSEREC_CACHE_DIR", str(tmp_path))
    folder = locate("movietweetings-100k", download=False)
    assert folder == DATASETS["movietweetings-100k"].embedded
    assert (folder / "LICENSE").read_text().startswith("The MIT License")
    embedded = load_dataset("movietweetings-100k", download=False)
    shared = load_dataset("movietweetings-100k", datasets_dir, download=False)
    pd.testing.assert_frame_equal(embedded.interactions, shared.interactions)
    assert list(embedded.item_table["title"]) == list(shared.item_table["title"])


def test_lastfm_counts_crlf_and_friends(datasets_dir):
    ds = load_dataset("lastfm", datasets_dir, download=False)
    assert counts(ds) == (92_834, 1_892, 17_632)
    assert ds.rating_scale is None  # play counts: implicit
    assert ds.interactions["rating"].max() > 100  # counts, not a 1-5 scale
    assert ds.report["friendships"] == 25_434 and len(ds.social) == 25_434
    assert not ds.item_table["title"].str.contains("\r").any()  # CRLF handled


def test_amazon_duplicates_reported_and_removed(datasets_dir):
    ds = load_dataset("amazon-all-beauty", datasets_dir, download=False)
    assert ds.report["rows_read"] == 5_269
    assert ds.report["duplicate_reviews"] > 1_000
    assert ds.report["repeated_pairs"] >= ds.report["duplicate_rows"] > 1_000
    assert len(ds) == 5_269 - ds.report["repeated_pairs"]
    assert not ds.interactions.duplicated(["user", "item"]).any()
    assert (ds.interactions["user"].nunique(), ds.interactions["item"].nunique()) == (991, 85)
    assert (ds.item_table["reviews"] != "").all()


def test_amazon_metadata_html_and_duplicates(datasets_dir):
    folder = datasets_dir / "amazon-2018-magazine-subscriptions"
    table = load_amazon_metadata(folder / "meta_Magazine_Subscriptions.json.gz")
    assert len(table) == 2_320 and table.attrs["duplicate_rows"] == 3_385 - 2_320
    assert not table["title"].str.contains(r"<[a-zA-Z/][^>]*>", regex=True).any()
    assert not table["title"].str.contains("&amp;", regex=False).any()


def test_goodbooks_with_sample_ratings(datasets_dir, tmp_path):
    src = datasets_dir / "goodbooks-10k"
    for name in ("books.csv", "tags.csv"):
        shutil.copy(src / name, tmp_path / name)
    for name in ("ratings.csv", "book_tags.csv"):
        shutil.copy(src / "samples" / name, tmp_path / name)
    ds = load_goodbooks(tmp_path)
    assert ds.n_items == 10_000 and len(ds) == 99  # samples/ratings.csv: 99 rows after the header
    hunger = ds.item_table.set_index("id").loc[1]
    assert hunger["authors"] == "Suzanne Collins" and hunger["year"] == 2008
    tagged = ds.item_table[ds.item_table["tags"] != ""]
    assert len(tagged) >= 1 and (tagged["goodreads_book_id"] == "1").all()
    assert ds.interactions["timestamp"].is_monotonic_increasing  # file order is time order


def test_ml1m_format_fixture(tmp_path):
    (tmp_path / "movies.dat").write_bytes("1::Toy Story (1995)::Animation|Children's\n2::Les Misérables (1995)::Drama\n"
                                          .encode("latin-1"))
    (tmp_path / "users.dat").write_text("1::F::1::10::48067\n2::M::56::16::70072\n")
    (tmp_path / "ratings.dat").write_text("1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n")
    ds = load_ml1m(tmp_path)
    assert counts(ds) == (3, 2, 2)
    assert ds.item_table["title"].tolist() == ["Toy Story (1995)", "Les Misérables (1995)"]


def test_ml25m_csv_format_fixture(tmp_path):
    (tmp_path / "movies.csv").write_text('movieId,title,genres\n1,"American President, The (1995)",Comedy|Drama\n'
                                         '2,Heat (1995),(no genres listed)\n')
    (tmp_path / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4.5,1\n2,2,0.5,2\n")
    ds = load_ml25m(tmp_path)
    assert ds.name == "ml-25m" and counts(ds) == (2, 2, 2)
    assert ds.item_table["title"].iloc[0] == "American President, The (1995)"  # quoted comma
    assert ds.item_table["genres"].iloc[1] == ""


MIND_NEWS = (
    "N1\tsports\tsoccer\tGoal &amp; glory\tA late winner.\thttp://x\t[]\t[]\n"
    "N2\tnews\tworld\tElection day\tVotes counted.\thttp://y\t[]\t[]\n"
    "N3\tfood\trecipes\tBest soup\t\thttp://z\t[]\t[]\n"
)
MIND_BEHAVIORS = (
    "1\tU1\t11/15/2019 8:55:22 AM\tN1 N2\tN3-1 N2-0\n"
    "2\tU2\t11/15/2019 9:00:00 AM\t\tN1-1 N3-0\n"
    "3\tU1\t11/16/2019 10:00:00 PM\tN1 N2\tN2-0 N1-0\n"
)


def test_mind_fixture(tmp_path):
    (tmp_path / "news.tsv").write_text(MIND_NEWS)
    (tmp_path / "behaviors.tsv").write_text(MIND_BEHAVIORS)
    ds = load_mind(tmp_path)
    pairs = {(ds.users.to_external([u])[0], ds.items.to_external([i])[0])
             for u, i in ds.interactions[["user", "item"]].to_numpy()}
    assert pairs == {("U1", "N1"), ("U1", "N2"), ("U1", "N3"), ("U2", "N1")}
    ts = ds.interactions.set_index(["user", "item"])["timestamp"]
    t0 = int((pd.Timestamp("2019-11-15 08:55:22") - pd.Timestamp("1970-01-01")).total_seconds())
    assert ts[(ds.users.to_index("U1"), ds.items.to_index("N3"))] == t0
    assert ts[(ds.users.to_index("U1"), ds.items.to_index("N1"))] == t0 - 1  # history: before the impression
    assert ds.report["non_clicks"] == 4
    assert ds.item_table.set_index("id").loc["N1", "title"] == "Goal & glory"


def test_own_csv_with_column_mapping(tmp_path):
    inter = tmp_path / "events.csv"
    inter.write_text("uid,sku,stars,when\nu1,a,5,2024-01-01T10:00:00\nu2,a,3,2024-01-02T10:00:00\n"
                     "u1,b,4,2024-01-03T00:00:00\n")
    items = tmp_path / "items.csv"
    items.write_text('sku,title,description\na,Red <b>shoe</b>,"Soft, light"\nb,Blue hat,Wool\nc,Green scarf,Silk\n')
    ds = load_files(inter, items, columns={"user": "uid", "item": "sku", "rating": "stars", "timestamp": "when"},
                    item_id_column="sku", rating_scale=(1, 5))
    assert counts(ds) == (3, 2, 2) and ds.n_items == 3  # the catalogue includes the unrated scarf
    assert ds.item_table["title"].tolist() == ["Red shoe", "Blue hat", "Green scarf"]
    assert ds.interactions["timestamp"].iloc[0] == 1704103200


def test_own_parquet_and_implicit(tmp_path):
    path = tmp_path / "clicks.parquet"
    pd.DataFrame({"user": [1, 1, 2, 2, 2], "item": [10, 11, 10, 12, 10]}).to_parquet(path)
    ds = load_files(path)
    assert not ds.has_ratings and not ds.has_timestamps
    assert len(ds) == 4 and ds.report["repeated_pairs"] == 1  # user 2 clicked item 10 twice


def test_duplicate_policy_mean(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating,timestamp\n1,1,2,10\n1,1,4,20\n1,2,3,5\n")
    ds = load_files(path, duplicates="mean")
    r = dict(zip(ds.interactions["item"], ds.interactions["rating"], strict=False))
    assert r[ds.items.to_index("1")] == 3.0
    last = load_files(path, duplicates="keep-last")
    kept = dict(zip(last.interactions["item"], last.interactions["rating"], strict=True))
    assert kept[last.items.to_index("1")] == 4.0


def test_invalid_drop_policy_reports(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("user,item,rating\n1,1,2\n1,2,\n1,3,9\n2,1,5\n")
    ds = load_files(path, rating_scale=(1, 5), invalid="drop")
    assert len(ds) == 2
    assert ds.report["missing_ratings"] == 1 and ds.report["out_of_range_ratings"] == 1


def test_gzip_input(tmp_path):
    path = tmp_path / "r.csv.gz"
    path.write_bytes(gzip.compress(b"user,item\n1,2\n3,4\n"))
    assert len(load_files(path)) == 2


def test_idmap_round_trip(ml100k):
    ids = np.array([1, 50, 1682])
    assert (ml100k.items.to_external(ml100k.items.to_index(ids)) == ids).all()
    with pytest.raises(KeyError, match="unknown item 99999"):
        ml100k.items.to_index([99999], what="item")
