"""The analyst's desk over a published warehouse: one body's metrics compared by year, charts of them,
and exports of every table. Reads the warehouse; never writes it."""
