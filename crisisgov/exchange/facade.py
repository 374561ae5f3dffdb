"""What other apps may use of the exchange."""

from crisisgov.exchange.permissions import ExchangePermission

__all__ = ["ExchangePermission"]
