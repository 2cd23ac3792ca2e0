"""Generation order and key-only detection on small hand-made schemas."""

import pytest
from syntherela.metadata import Metadata

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd.schema import generation_order, id_columns, is_key_only, modelled_tables

from rgcd_helpers import make_metadata




@pytest.fixture
def shop() -> Metadata:
    """Two roots, a multi-parent child, a 3-level chain, a key-only link table, an isolated table."""
    return make_metadata(
        {
            "products": ("id", {"id": "id", "price": "numerical"}),
            "customers": ("id", {"id": "id", "age": "numerical"}),
            "orders": ("id", {"id": "id", "customer_id": "id", "date": "datetime"}),
            "items": (None, {"order_id": "id", "product_id": "id", "qty": "numerical"}),
            "reviews": (None, {"customer_id": "id", "product_id": "id", "stars": "categorical"}),
            "similar": (None, {"product_a": "id", "product_b": "id"}),
            "audit": ("id", {"id": "id", "event": "categorical"}),
        },
        [
            ("customers", "orders", "customer_id"),
            ("orders", "items", "order_id"),
            ("products", "items", "product_id"),
            ("customers", "reviews", "customer_id"),
            ("products", "reviews", "product_id"),
            ("products", "similar", "product_a"),
            ("products", "similar", "product_b"),
        ],
    )


def test_generation_order_puts_parents_first_in_sorted_rounds(shop):
    assert generation_order(shop) == ["audit", "customers", "products", "orders", "reviews", "similar", "items"]


def test_id_columns_and_key_only(shop):
    assert id_columns(shop, "items") == ["order_id", "product_id"]
    assert id_columns(shop, "audit") == ["id"]
    assert is_key_only(shop, "similar")
    assert not is_key_only(shop, "items")


def test_modelled_tables_skip_key_only_tables(shop):
    assert modelled_tables(shop) == ["audit", "customers", "products", "orders", "reviews", "items"]


def test_cycle_raises_data_error_naming_only_the_cycle():
    metadata = make_metadata(
        {
            "a": ("id", {"id": "id", "b_id": "id"}),
            "b": ("id", {"id": "id", "a_id": "id"}),
            "c": ("id", {"id": "id", "a_id": "id"}),
            "root": ("id", {"id": "id"}),
        },
        [("a", "b", "a_id"), ("b", "a", "b_id"), ("a", "c", "a_id")],
    )
    with pytest.raises(DataError, match="cycle among tables a, b$"):
        generation_order(metadata)


def test_self_reference_orders_nothing():
    metadata = make_metadata(
        {"employees": ("id", {"id": "id", "dept": "id", "boss_id": "id"}), "depts": ("id", {"id": "id"})},
        [("employees", "employees", "boss_id"), ("depts", "employees", "dept")],
    )
    assert generation_order(metadata) == ["depts", "employees"]
