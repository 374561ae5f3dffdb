"""What other apps may use of public opinion."""

from crisisgov.opinion.permissions import OpinionPermission

__all__ = ["OpinionPermission"]
