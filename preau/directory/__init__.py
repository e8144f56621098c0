"""Directory: school years, académies, schools, classes, groups, relatives, communication rules,
share bookmarks, and the Annuaire pages that show them."""
