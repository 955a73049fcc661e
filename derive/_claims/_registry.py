"""The claim registry: every derived claim by id, cached on disk.

Re-exported by :mod:`derive` as :data:`derive.CLAIM_IDS`, :data:`derive.PROOF_IDS`,
:func:`derive.claims` and :func:`derive.claim`.
"""

from __future__ import annotations

from derive._cache import cached
from derive._claims.c1_mean import derive_c1
from derive._claims.c2_covariance import derive_c2
from derive._claims.c3_optimal import derive_c3
from derive._claims.c4_taylor import derive_c4
from derive._claims.c5_expected import derive_c5
from derive._claims.c6_jensen import derive_c6
from derive._claims.c7_edm import derive_c7
from derive._errors import InvalidArgumentError
from derive._validation import check_order
from derive.claim import Claim

__all__ = ["CLAIM_IDS", "PROOF_IDS", "claim", "claims"]

#: The ids of the claims C1-C7 stated in notes/theory.md, in order.
CLAIM_IDS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7")
#: Every id :func:`claim` knows: C1-C7 and P1 (the parameterisations, noted in weightings.md).
PROOF_IDS = (*CLAIM_IDS, "P1")


def _derive_all(top: int) -> tuple[Claim, ...]:
    return (derive_c1(top), derive_c2(top), derive_c3(), derive_c4(top), derive_c5(top),
            derive_c6(), derive_c7())


def claims(max_order: int = 4) -> tuple[Claim, ...]:
    """Every claim C1–C7 as a frozen :class:`Claim` (orders ``1..max_order`` where relevant).

    Cached on disk (see ``derive/_cache.py``: keyed by the source of ``derive/``, the SymPy
    version and ``max_order``; ``DSMW_NO_CACHE=1`` disables it).

    Parameters
    ----------
    max_order : int, default 4
        Highest order of the order-n derivations.

    Returns
    -------
    tuple of Claim
        C1..C7, in the order of :data:`CLAIM_IDS`.
    """
    top = check_order(max_order, name="max_order")
    return cached(f"claims-{top}", lambda: _derive_all(top))


def claim(cid: str, max_order: int = 4) -> Claim:
    """One claim by id (``"C1"`` .. ``"C7"``, or ``"P1"``, the parameterisations), cached
    on disk like :func:`claims`.

    Parameters
    ----------
    cid : str
        Claim id, case-insensitive.
    max_order : int, default 4
        Highest order of the order-n derivations.

    Returns
    -------
    Claim
        With computed ``status``, ``instances`` and ``refuted_steps``.

    Examples
    --------
    >>> claim("C6").status
    'proved'
    """
    key = str(cid).strip().upper()
    if key == "P1":  # the parameterisations: its own note is weightings.md
        from derive._claims.p1_spaces import derive_p1

        return cached("claim-P1", derive_p1)
    if key not in CLAIM_IDS:
        raise InvalidArgumentError("cid", cid, "not a derived claim",
                                   f"pass one of {', '.join(PROOF_IDS)}")
    return claims(max_order)[CLAIM_IDS.index(key)]
