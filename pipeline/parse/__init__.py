"""A `Document`'s text -> what the report is and what it says: the templates as data, describing a report
(title, year, agency, region, template), rows found by their labels, cells read and split, and the
templates' consistency rules. Pure functions; takes the extract model, gives readings and violations."""
