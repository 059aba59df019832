"""A role's refusal is a sentence about what the account cannot do, in both languages, for every permission a
role lacks; the permission's own name stays out of the sentence and in the machine-readable error only."""

from __future__ import annotations

import pytest

from admitall.domain.access import ACTIONS, GRANTS, Permission, RoleForbidden, require


def test_every_permission_has_a_phrase_in_both_languages():
    assert set(ACTIONS) == set(Permission)
    for zh, en in ACTIONS.values():
        assert zh and en and zh != en


@pytest.mark.parametrize("role", list(GRANTS))
def test_every_refusal_is_a_sentence_without_the_permission_name(role):
    for permission in set(Permission) - GRANTS[role]:
        with pytest.raises(RoleForbidden) as refused:
            require(role, permission)
        error = refused.value
        assert error.zh.startswith(f"您的账号（{role.zh}）不能{ACTIONS[permission][0]}。")
        assert error.en.startswith(f"Your account ({role.en}) cannot {ACTIONS[permission][1]}.")
        assert permission.value not in error.zh and f"({permission.value})" not in error.en
        assert error.as_dict("en") | {"message": None} == {
            "code": "forbidden.role",
            "message": None,
            "zh": error.zh,
            "en": error.en,
            "field": None,
            "permission": permission.value,
        }
