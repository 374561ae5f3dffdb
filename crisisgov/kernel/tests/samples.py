"""Fixed keys and personal data the kernel tests share."""

from __future__ import annotations

import base64

from crisisgov.kernel import pii

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(32, 64))).decode()
BLIND_KEY = base64.b64encode(bytes([7]) * 32).decode()
NATIONAL_ID = "420102199003071234"
MOBILE = "13812345678"


def ring(keys: str) -> pii.KeyRing:
    return pii.load_key_ring(keys=keys, key_file="", blind_index_key=BLIND_KEY)
