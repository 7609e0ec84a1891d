// The headless command line (spec §9).
