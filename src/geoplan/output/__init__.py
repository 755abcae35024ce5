"""Output writers: maps, reports, tables, workbooks, palettes and static maps."""
