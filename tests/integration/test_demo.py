from collections import Counter

from admitall.services.context import cli_actor
from admitall.services.demo import DEMO_USERS, load_demo
from admitall.store.tables import persons, units


def test_the_demo_city_is_wuhan_with_generated_communities_and_people(sqlite_ctx):
    result = load_demo(sqlite_ctx, cli_actor(), seed=7, people=1500)
    assert result["loaded"]
    with sqlite_ctx.uow() as uow:
        levels = Counter(r.level for r in uow.conn.execute(units.select()))
        by_street = Counter(r.parent_code for r in uow.conn.execute(units.select().where(units.c.level == "community")))
        categories = Counter(r.status for r in uow.conn.execute(persons.select()))
        assert uow.users.by_username(DEMO_USERS[0].username) is not None
    assert (levels["city"], levels["district"], levels["street"]) == (1, 13, 193)
    assert len(by_street) == 193 and min(by_street.values()) >= 8 and max(by_street.values()) <= 20
    assert sum(categories.values()) == 1500
    assert all(categories[c] > 0 for c in ("confirmed", "suspected", "fever", "contact"))
    assert load_demo(sqlite_ctx, cli_actor(), seed=7, people=1500)["loaded"] is False


def test_the_same_seed_gives_the_same_city(tmp_path, clock):
    from admitall.store.db import init_database
    from tests.conftest import make_ctx

    snapshots = []
    for name in ("a", "b"):
        ctx = make_ctx(f"sqlite:///{tmp_path / name}.db", clock)
        init_database(ctx.engine)
        load_demo(ctx, cli_actor(), seed=11, people=300)
        with ctx.uow() as uow:
            snapshots.append(
                sorted((r.name, r.document_number, r.status, r.unit_code) for r in uow.conn.execute(persons.select()))
            )
        ctx.engine.dispose()
    assert snapshots[0] == snapshots[1]
