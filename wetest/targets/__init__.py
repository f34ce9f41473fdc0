"""How the controller under test runs: the single seam between the suites and a controller."""
