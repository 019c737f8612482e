"""The replay portals: a local web of Chinese S&T-bureau sites (real platform markup, GBK traps,
faults, a scenario clock) with a machine-readable answer key. Entry points:
`replay.server.ReplayServer`, `replay.answer_key.load`, `kejiwatch portals serve`."""
