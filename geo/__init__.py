"""ChildSafe Map engine in domain packages (docs/architecture.md); no screen here.

``store`` (datasets, contract, settings, CRSs) is the ground floor; ``privacy`` (roles, accounts,
audit, exports) and ``reach`` (network, coverage, siting) stand on it; ``ingest`` (imports) on
those two floors, ``water`` (sites, kits, risk) on ``reach``, ``field`` (patrols, visits) on
all of them; ``demo`` builds the synthetic county; ``cli`` is the batch face over them all.
"""

from __future__ import annotations

__version__ = "0.1.0"
