#!/usr/bin/env python
"""Same as the installed `crisisgov` command."""

from crisisgov.__main__ import main

if __name__ == "__main__":
    main()
