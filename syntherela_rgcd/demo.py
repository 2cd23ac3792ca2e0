"""The built-in ``demo`` database: small, deterministic, and relational in earnest.

It exists so that the quick start and the tests run without a download, yet still exercise
what makes relational synthesis hard:

* ``stores`` (root): a store's ``format`` changes how many customers and purchases it has
  and how much those customers spend (a parent attribute driving child counts and values);
* ``customers`` (root): ``segment`` changes how much they spend; ``age`` has missing values;
* ``purchases`` -> ``customers`` and ``stores``: a child with two parents, a datetime,
  a boolean, and amounts that depend on the store format and the customer segment.

Every customer shops at a single home store, so each store with its customers and their
purchases is one connected component (a forest of ~60 small trees, like most benchmarks).
The schema has depth 2 so that SDV's HMA baseline accepts it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

N_STORES = 60
SEED = 20241123

FORMATS = {  # format -> (share of stores, mean customers, mean purchases per customer, spend factor)
    "kiosk": (0.45, 6, 1.5, 0.6),
    "mall": (0.35, 14, 3.0, 1.0),
    "flagship": (0.20, 26, 5.0, 1.8),
}
SEGMENTS = {"budget": 0.7, "regular": 1.0, "premium": 1.6}

METADATA = {
    "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
    "tables": {
        "stores": {
            "primary_key": "store_id",
            "columns": {
                "store_id": {"sdtype": "id"},
                "format": {"sdtype": "categorical"},
                "floor_area": {"sdtype": "numerical"},
                "opened": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
            },
        },
        "customers": {
            "primary_key": "customer_id",
            "columns": {
                "customer_id": {"sdtype": "id"},
                "segment": {"sdtype": "categorical"},
                "age": {"sdtype": "numerical"},
                "newsletter": {"sdtype": "boolean"},
            },
        },
        "purchases": {
            "primary_key": "purchase_id",
            "columns": {
                "purchase_id": {"sdtype": "id"},
                "customer_id": {"sdtype": "id"},
                "store_id": {"sdtype": "id"},
                "amount": {"sdtype": "numerical"},
                "items": {"sdtype": "numerical"},
                "timestamp": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"},
                "returned": {"sdtype": "boolean"},
            },
        },
    },
    "relationships": [
        {"parent_table_name": "customers", "parent_primary_key": "customer_id",
         "child_table_name": "purchases", "child_foreign_key": "customer_id"},
        {"parent_table_name": "stores", "parent_primary_key": "store_id",
         "child_table_name": "purchases", "child_foreign_key": "store_id"},
    ],
}


def build_demo_tables(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Generate the demo tables; the same seed always gives the same bytes."""
    rng = np.random.default_rng(seed)
    names = list(FORMATS)
    shares = np.array([FORMATS[f][0] for f in names])
    store_format = rng.choice(names, size=N_STORES, p=shares)
    base_area = {"kiosk": 40.0, "mall": 400.0, "flagship": 2500.0}
    stores = pd.DataFrame(
        {
            "store_id": np.arange(N_STORES),
            "format": store_format,
            "floor_area": [round(base_area[f] * rng.lognormal(0, 0.3), 1) for f in store_format],
            "opened": pd.to_datetime("2005-01-01")
            + pd.to_timedelta(rng.integers(0, 15 * 365, N_STORES), unit="D"),
        }
    )

    customer_rows, purchase_rows = [], []
    for store in stores.itertuples():
        _, mean_customers, mean_purchases, spend = FORMATS[store.format]
        for _ in range(max(1, rng.poisson(mean_customers))):
            customer_id = len(customer_rows)
            segment = rng.choice(list(SEGMENTS), p=[0.4, 0.4, 0.2])
            age = float(np.clip(round(rng.normal(45 if segment == "premium" else 35, 12)), 18, 90))
            customer_rows.append(
                {
                    "customer_id": customer_id,
                    "segment": segment,
                    "age": age if rng.random() > 0.15 else np.nan,
                    "newsletter": bool(rng.random() < (0.6 if segment == "premium" else 0.25)),
                }
            )
            for _ in range(rng.poisson(mean_purchases)):
                items = int(1 + rng.poisson(2 * spend))
                amount = round(items * 12.0 * spend * SEGMENTS[segment] * rng.lognormal(0, 0.25), 2)
                day = rng.integers(0, 365)
                hour = int(np.clip(rng.normal(15, 3), 8, 21))
                purchase_rows.append(
                    {
                        "purchase_id": len(purchase_rows),
                        "customer_id": customer_id,
                        "store_id": store.store_id,
                        "amount": amount,
                        "items": items,
                        "timestamp": pd.Timestamp("2023-01-01")
                        + pd.Timedelta(days=int(day), hours=hour, minutes=int(rng.integers(0, 60))),
                        "returned": bool(rng.random() < 0.05 + 0.05 * (segment == "budget")),
                    }
                )
    customers = pd.DataFrame(customer_rows)
    purchases = pd.DataFrame(purchase_rows)
    return {"stores": stores, "customers": customers, "purchases": purchases}
