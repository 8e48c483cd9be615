"""Tracking codes: six characters a resident can read over the phone, none more likely."""

from collections import Counter

from workorders.services.intake import TRACKING_ALPHABET, tracking_code


def test_codes_use_only_the_phone_safe_alphabet_in_every_position():
    codes = [tracking_code() for _ in range(4000)]
    assert all(len(c) == 6 and set(c) <= set(TRACKING_ALPHABET) for c in codes)
    for position in range(6):
        seen = Counter(c[position] for c in codes)
        # 4000 draws over 31 characters: ~129 each; a character that never or seldom
        # comes up in a position would mean a biased or broken draw.
        assert set(seen) == set(TRACKING_ALPHABET)
        assert min(seen.values()) > 60 and max(seen.values()) < 220


def test_an_order_gets_one(log_call):
    order = log_call()
    assert len(order.tracking_code) == 6 and set(order.tracking_code) <= set(TRACKING_ALPHABET)
