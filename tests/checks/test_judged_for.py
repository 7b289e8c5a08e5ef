"""Which zones a requirement is judged on (ZoneScope.judged_for): by the framework's zone kinds
or the zone's own framework list, narrowed by the requirement's kinds; a namespace connected to
the CDE is in a CDE framework's scope unless the requirement names the CDE alone."""

from __future__ import annotations

import numpy as np
import pytest

from reporter.catalog import ALL_ZONES
from reporter.checks.scope import ZoneScope
from reporter.model import NAMESPACE_ZONE

NOTHING = np.zeros(0, dtype=bool)


def zone(kind: str, frameworks: tuple[str, ...] | None = None, *,
         connected: bool = False) -> ZoneScope:
    return ZoneScope("z", kind, "z", frameworks, ("ns",), NOTHING, NOTHING, (),
                     connected_to_cde=connected)


PCI = ("pci", ("cde",))
HIPAA = ("hipaa", ("phi",))
CIS = ("cis", (ALL_ZONES,))


@pytest.mark.parametrize(("scope", "framework", "requirement_kinds", "judged"), [
    # The whole cluster as one zone stands in for no framework's scope.
    (zone(ALL_ZONES), CIS, None, True),
    (zone(ALL_ZONES), PCI, None, False),
    # By kind: the framework's, then the requirement's.
    (zone("cde"), PCI, None, True),
    (zone("cde"), PCI, ("cde",), True),
    (zone("cde"), PCI, ("phi",), False),
    (zone("cde"), PCI, (ALL_ZONES,), True),
    (zone("cde"), HIPAA, None, False),
    (zone("other"), PCI, None, False),
    (zone("other"), CIS, None, True),
    (zone("other"), CIS, ("tenant",), False),
    # A zone's own framework list replaces the kinds' match, the requirement's kinds still
    # narrow it.
    (zone("other", ("pci",)), PCI, None, True),
    (zone("cde", ("hipaa",)), PCI, None, False),
    (zone("cde", ("hipaa",)), CIS, None, False),
    (zone("other", ("pci",)), PCI, ("cde",), False),
    # Connected to the CDE: in PCI DSS's scope, except where a requirement names the CDE
    # alone; never in another framework's through that.
    (zone(NAMESPACE_ZONE, (), connected=True), PCI, None, True),
    (zone(NAMESPACE_ZONE, (), connected=True), PCI, (ALL_ZONES,), True),
    (zone(NAMESPACE_ZONE, (), connected=True), PCI, ("cde",), False),
    (zone(NAMESPACE_ZONE, (), connected=True), CIS, None, False),
    (zone(NAMESPACE_ZONE, (), connected=False), PCI, None, False),
])
def test_a_requirement_is_judged_on_the_zones_its_framework_and_kinds_name(
        scope: ZoneScope, framework: tuple[str, tuple[str, ...]],
        requirement_kinds: tuple[str, ...] | None, judged: bool) -> None:
    framework_id, kinds = framework
    assert scope.judged_for(framework_id, kinds, requirement_kinds) is judged
