"""The static explorer: the published warehouse as pre-aggregated data files and a page that reads them."""
