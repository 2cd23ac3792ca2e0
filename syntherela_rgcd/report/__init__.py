"""``syntherela report``: one self-contained HTML page per synthetic sample.

DDA says *that* a classifier tells the data apart; a data team deciding whether to share a
synthetic database wants to see *what* differs and whether real rows leak. The page shows the
run's scores beside the leaderboard, every column's real vs synthetic distribution, the change
in pairwise associations, children per parent, the features the DDA classifier leans on, and
the privacy figures with the rows they point at. Images are embedded PNGs (no server, no CDN),
the page is rendered by Jinja2 from ``templates/report.html.j2``.
"""

from .build import write_report

__all__ = ["write_report"]
