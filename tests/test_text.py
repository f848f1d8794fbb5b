"""The Segmenter: exact segmentation of domain sentences with the shipped dictionary, both
backends, stop words, and no cache outside the project."""

from __future__ import annotations

import pytest

from pipeline.interviews.segmentation import (
    BACKENDS,
    DEFAULT_STOPWORDS,
    DEFAULT_USER_DICT,
    Segmenter,
    read_user_dict,
)

SENTENCE = "老旧小区加装电梯要坚持共建共治共享，业委会和居委会一起推动雨污分流和长效管理。"
EXPECTED = ["老旧小区", "加装电梯", "要", "坚持", "共建共治共享", ",", "业委会", "和", "居委会", "一起",
            "推动", "雨污分流", "和", "长效管理", "。"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_domain_terms_stay_whole(backend):
    seg = Segmenter(backend, user_dict=DEFAULT_USER_DICT, stopwords=DEFAULT_STOPWORDS)
    assert seg.cut(SENTENCE) == EXPECTED
    # fillers and punctuation are not tokens
    assert seg.tokens("那个，就是说物业费收缴率太低，微利可持续很难。") == ["物业费收缴率", "太低", "微利可持续", "很难"]
    assert "那个" not in seg.tokens("那个，就是说") and "就是说" not in seg.tokens("那个，就是说")


def test_backends_agree_on_the_dictionary_terms():
    words = [w for w, _, _ in read_user_dict(DEFAULT_USER_DICT)]
    assert len(words) >= 150
    a = Segmenter("rjieba", user_dict=DEFAULT_USER_DICT)
    b = Segmenter("jieba", user_dict=DEFAULT_USER_DICT)
    for w in ("老旧小区", "加装电梯", "雨污分流", "微利可持续", "共建共治共享"):
        assert a.cut(w) == b.cut(w) == [w]


def test_full_width_input_is_normalised():
    seg = Segmenter(user_dict=DEFAULT_USER_DICT)
    assert seg.cut("加装电梯：１５户")[:2] == ["加装电梯", ":"]


def test_jieba_cache_stays_in_the_project(tmp_path):
    seg = Segmenter("jieba", cache_dir=tmp_path / "cache")
    seg.cut("测试一下")
    assert (tmp_path / "cache").exists() and any((tmp_path / "cache").iterdir())


def test_bad_backend_message():
    with pytest.raises(ValueError, match=r"The 'backend' parameter must be one of .* Got 'jeiba' instead"):
        Segmenter("jeiba")
