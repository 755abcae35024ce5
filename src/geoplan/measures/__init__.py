"""Pure measures on arrays and tables: coverage shares, weighted means and quantiles,
opening hours. They know nothing of scenarios, maps or files.
"""
