from admitall.domain.access import GRANTS, Permission, Role, can


def test_the_analyst_reads_counts_and_nothing_else():
    assert GRANTS[Role.ANALYST] == frozenset({Permission.VIEW_COUNTS})


def test_only_roles_that_need_personal_data_see_it_unmasked():
    unmasked = {r for r in Role if can(r, Permission.SEE_PERSONAL_DATA)}
    assert unmasked == {Role.UNIT_OFFICER, Role.DISPATCHER, Role.FACILITY_OFFICER}


def test_every_role_can_at_least_read_counts():
    assert all(can(r, Permission.VIEW_COUNTS) for r in Role)
