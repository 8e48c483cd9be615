# Open311 is public: the masking scan runs on every response here too (anonymous
# clients must never receive a full mobile number).
from api.tests.conftest import masking_scan  # noqa: F401
