"""Factor lab: Qlib expressions parsed, evaluated over the export's arrays, scored, stored and searched."""
