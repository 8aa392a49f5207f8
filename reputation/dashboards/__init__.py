"""The dashboards: the chart panels of the domain and IP pages (customer and admin), the
overview's panel, and the operators' fleet view. reputation/apps.py registers the panels in
their slots (warmup_site/panels.py)."""
