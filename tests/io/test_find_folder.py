"""``find_folder``: a relative folder named from anywhere below the folder that holds it (a
notebook opened in its own folder finds the repository's ``data/sample``)."""

from __future__ import annotations

import pytest

from satprofit.io import find_folder


def test_a_relative_folder_is_found_from_a_subfolder_upwards(tmp_path):
    (tmp_path / "data" / "sample").mkdir(parents=True)
    deep = tmp_path / "notebooks" / "research"
    deep.mkdir(parents=True)
    assert find_folder("data/sample", start=deep) == tmp_path / "data" / "sample"
    assert find_folder(tmp_path / "data") == tmp_path / "data"  # absolute: as given


def test_a_folder_found_nowhere_names_where_it_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="no nowhere in .* or any folder above it"):
        find_folder("nowhere", start=tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        find_folder(tmp_path / "nowhere")
