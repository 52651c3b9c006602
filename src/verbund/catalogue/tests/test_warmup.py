"""The server loads the search's word lists before it forks its workers."""

import sys

from verbund.catalogue import language
from verbund.core import warmup


def test_the_word_lists_are_registered_and_loaded_by_the_warmup():
    language.is_common_word.cache_clear()
    language.is_german_word.cache_clear()

    warmup.run()

    assert language.load_word_lists in warmup._warmups
    assert "wordfreq" in sys.modules
    assert language.is_common_word.cache_info().currsize >= 1
    assert language.is_german_word.cache_info().currsize >= 1
