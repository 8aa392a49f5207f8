"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS Django checks a kept connection before the first query of every
request by running `SELECT 1` — a second round trip for an API request whose own work is one
statement (routing), which cost it a large share of its speed. A connection the server has
dropped (a restart, `pg_ctl -m fast`, an idle timeout, pg_terminate_backend) is seen without
asking the server: PostgreSQL sends a FATAL message and closes the socket, so an idle
connection's socket becomes readable. Here the check is that socket poll (and psycopg's own
view of the connection); nothing else is ever sent to an idle connection of ours (we do not
LISTEN), so a readable socket means it is gone. A connection broken without a word (a network
partition) still fails on its first query: that request answers 503 (warmup_site/outage.py)
and Django drops the connection at its end.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or self.pool
            or not self.health_check_enabled
            or self.health_check_done
        ):
            return
        if not self._still_open():
            self.close()
        self.health_check_done = True

    def _still_open(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        if connection.pgconn.status != pq.ConnStatus.OK:
            return False
        try:
            readable, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable
