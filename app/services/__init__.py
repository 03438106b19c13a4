"""The service layer: every rule of DOMAIN.md, one package or module per domain.

Importing any service registers the change feed's flush hook (`integration.changes`):
every tracked row written through a session reaches the outbox. `app.db` knows nothing
of it (the dependency points from the services down to the database, never back).
"""

import app.services.integration.changes  # noqa: F401
