"""The early-warning algorithms: pure functions over numpy arrays, no Django, no database.

They are checked against the R packages they reproduce (surveillance 1.20, EpiEstim 2.2) with
fixtures made by the R scripts in crisisgov/earlywarning/tests/reference/.
"""
