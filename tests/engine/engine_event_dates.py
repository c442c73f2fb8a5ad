"""Where the ``events`` world's splits, dividends and delisting fall (session positions).

A module of its own, not ``conftest``: test modules import these, and ``import conftest`` finds
whichever conftest another test directory put in ``sys.modules`` first.
"""

SPLIT_AT, SPLIT2_AT, DIV_AT, DIV2_AT, DELIST_AT, N_EVENTS = 40, 55, 30, 62, 50, 90
