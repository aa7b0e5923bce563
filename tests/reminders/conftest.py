from tests.people.conftest import oidc_app, oidc_client, provider  # noqa: F401  (fixtures)
from tests.smtp import smtp_server  # noqa: F401  (the fixture)
