"""QDesk Bridge: the headless market-data service beside QMT, and the client QDesk uses to reach it."""

from core.secrets import BRIDGE_TOKEN_SERVICE as KEYRING_SERVICE  # one name for the keyring entry, app-wide

# The API version is the contract: a client refuses a server whose major API version differs.
API_VERSION = "1"
BRIDGE_VERSION = "0.1.0"
DEFAULT_PORT = 8765

__all__ = ["API_VERSION", "BRIDGE_VERSION", "DEFAULT_PORT", "KEYRING_SERVICE"]
