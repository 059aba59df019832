from admitall.services.context import cli_actor
from admitall.services.units import import_units, import_units_file
from tests.factories import CITY, DAZHI, JIANGAN, officer


def rows(*pairs):
    return [(i + 2, dict(p)) for i, p in enumerate(pairs)]


def test_parents_come_first_whatever_the_order_of_the_file(ctx):
    summary = import_units(
        ctx,
        cli_actor(),
        rows(
            {"code": DAZHI, "name": "大智街道"}, {"code": JIANGAN, "name": "江岸区"}, {"code": CITY, "name": "武汉市"}
        ),
    )
    assert (summary.accepted, summary.rejected) == (3, 0)
    with ctx.uow() as uow:
        assert [u.code for u in uow.units.children(JIANGAN)] == [DAZHI]
        assert [u.code for u in uow.units.roots()] == [CITY]


def test_bad_and_orphan_codes_are_rejected_with_their_rows(ctx):
    summary = import_units(
        ctx,
        cli_actor(),
        rows(
            {"code": CITY, "name": "武汉市"},
            {"code": "4201020", "name": "短"},
            {"code": "420199001000", "name": "孤儿街道"},
            {"code": JIANGAN, "name": "江岸区", "parent_code": "420200000000"},
            {"code": "420102000000", "name": ""},
        ),
    )
    assert summary.accepted == 1
    assert [(r["row"], r["field"]) for r in summary.rejections] == [
        (3, "code"),
        (4, "code"),
        (5, "parent_code"),
        (6, "name"),
    ]
    assert "orphan" in summary.rejections[1]["reason_en"]
    assert summary.accepted + summary.unchanged + summary.renamed + summary.rejected == summary.rows


def test_importing_the_same_units_again_changes_nothing(ctx, tmp_path):
    path = tmp_path / "units.csv"
    path.write_text(f"code,name\n{CITY},武汉市\n{JIANGAN},江岸区\n", encoding="utf-8")
    assert import_units_file(ctx, cli_actor(), path).accepted == 2
    again = import_units_file(ctx, cli_actor(), path)
    assert (again.accepted, again.unchanged) == (0, 2)


def test_units_outside_the_importers_jurisdiction_are_refused(ctx):
    import_units(ctx, cli_actor(), rows({"code": CITY, "name": "武汉市"}, {"code": JIANGAN, "name": "江岸区"}))
    from admitall.domain.access import Role

    admin_of_jiangan = officer(JIANGAN, Role.ADMIN)
    summary = import_units(
        ctx, admin_of_jiangan, rows({"code": "420103000000", "name": "江汉区"}, {"code": DAZHI, "name": "大智街道"})
    )
    assert (summary.accepted, summary.rejected) == (1, 1)
