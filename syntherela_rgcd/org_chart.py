"""The built-in ``org_chart`` database: a company whose employees report to employees.

It exists to show (and test) a self-referencing foreign key, the schema SDV refuses as
"circular": ``employees.manager_id -> employees.employee_id``. The hierarchy is what shapes
the attributes, so a generator that ignores it is caught by DDA, which gives every employee
the count, mean salary and titles of the people who report to them:

* ``departments`` (root): ``budget`` grows with the department's head count;
* ``employees`` -> ``departments`` and -> ``employees`` (the manager; empty for the CEO, the
  only root): ``title`` follows the level in the tree, ``salary`` the level and the number of
  direct reports, ``hired`` is earlier higher up, ``remote`` more common at the bottom.

One CEO, a VP for each of 30 departments, then directors, managers and staff (2,129 people,
five levels); the whole company is one connected component, a network in RGCD's terms, so
``structure: auto`` generates a new tree
(:func:`syntherela_rgcd.rgcd.structure_generation._self_parents`) rather than copying the
real one. ``departments`` (30 rows) is too small for its DDA to mean much.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SEED = 20261204
N_DEPARTMENTS = 30
FUNCTIONS = ("engineering", "sales", "marketing", "finance", "operations", "support", "legal", "research")
SITES = ("Ljubljana", "Berlin", "Lisbon")
REPORTS = {0: N_DEPARTMENTS, 1: 3.0, 2: 3.5, 3: 6.0}
"""Mean direct reports by level (the CEO has one VP per department)."""
TITLES = {0: "chief executive", 1: "vice president", 2: "director", 3: "manager", 4: "staff"}
BASE_SALARY = {0: 400.0, 1: 220.0, 2: 150.0, 3: 105.0, 4: 70.0}  # thousands a year

METADATA = {
    "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
    "tables": {
        "departments": {
            "primary_key": "department_id",
            "columns": {
                "department_id": {"sdtype": "id"},
                "function": {"sdtype": "categorical"},
                "site": {"sdtype": "categorical"},
                "budget": {"sdtype": "numerical"},
                "floor": {"sdtype": "numerical"},
            },
        },
        "employees": {
            "primary_key": "employee_id",
            "columns": {
                "employee_id": {"sdtype": "id"},
                "department_id": {"sdtype": "id"},
                "manager_id": {"sdtype": "id"},
                "title": {"sdtype": "categorical"},
                "salary": {"sdtype": "numerical"},
                "hired": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                "remote": {"sdtype": "boolean"},
            },
        },
    },
    "relationships": [
        {"parent_table_name": "departments", "parent_primary_key": "department_id",
         "child_table_name": "employees", "child_foreign_key": "department_id"},
        {"parent_table_name": "employees", "parent_primary_key": "employee_id",
         "child_table_name": "employees", "child_foreign_key": "manager_id"},
    ],
}


def build_org_chart_tables(seed: int = SEED) -> dict[str, pd.DataFrame]:
    """Generate the tables; the same seed always gives the same bytes."""
    rng = np.random.default_rng(seed)
    rows: list[dict] = [{"employee_id": 0, "department_id": 0, "manager_id": None, "level": 0}]
    frontier = [0]
    while frontier:
        below = []
        for boss in frontier:
            level = rows[boss]["level"]
            if level >= 4:
                continue
            count = REPORTS[0] if level == 0 else rng.poisson(REPORTS[level])
            for k in range(count):
                department = k if level == 0 else rows[boss]["department_id"]
                rows.append({"employee_id": len(rows), "department_id": department, "manager_id": boss,
                             "level": level + 1})
                below.append(len(rows) - 1)
        frontier = below
    employees = pd.DataFrame(rows)
    reports = np.bincount(employees["manager_id"].dropna().astype(int), minlength=len(employees))
    level = employees["level"].to_numpy()
    title = np.array([TITLES[v] for v in level], dtype=object)
    title[(level == 3) & (reports == 0)] = "senior staff"  # a manager with nobody to manage
    salary = np.array([BASE_SALARY[v] for v in level]) * (1 + 0.04 * reports) * rng.lognormal(0, 0.12, len(level))
    hired = pd.Timestamp("2024-06-30") - pd.to_timedelta(
        (rng.gamma(2.0, 300 + 500 * (4 - level) / 4)).astype(int), unit="D")
    employees = employees.assign(
        manager_id=employees["manager_id"].astype("Int64"), title=title, salary=salary.round(1),
        hired=hired.strftime("%Y-%m-%d"), remote=rng.random(len(level)) < np.where(level >= 4, 0.45, 0.15),
    ).drop(columns="level")

    heads = np.bincount(employees["department_id"], minlength=N_DEPARTMENTS)
    departments = pd.DataFrame({
        "department_id": np.arange(N_DEPARTMENTS),
        "function": rng.choice(FUNCTIONS, N_DEPARTMENTS),
        "site": rng.choice(SITES, N_DEPARTMENTS, p=[0.5, 0.3, 0.2]),
        "budget": (heads * 140.0 * rng.lognormal(0, 0.2, N_DEPARTMENTS)).round(0),
        "floor": rng.integers(1, 9, N_DEPARTMENTS),
    })
    return {"departments": departments, "employees": employees}
